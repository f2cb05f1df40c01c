package mynth

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jsonKey is the JSON key a struct field is encoded under.
func jsonKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// TestRequestFieldsCoverRequest holds the table to the struct: every field
// of Request, in its order, under its true JSON key. A field added to
// Request without a row fails here, so that comparison, redaction and
// state show cannot forget it.
func TestRequestFieldsCoverRequest(t *testing.T) {
	type row struct{ Name, Key string }
	var want, got []row
	rt := reflect.TypeOf(Request{})
	for i := range rt.NumField() {
		f := rt.Field(i)
		want = append(want, row{f.Name, jsonKey(f)})
	}
	for _, f := range RequestFields() {
		got = append(got, row{f.Name, f.Key})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RequestFields does not match mynth.Request (-struct +table):\n%s", diff)
	}
}

// nonZero returns a value of type ty that IsSet counts as set and whose
// JSON is not empty.
func nonZero(t *testing.T, ty reflect.Type) reflect.Value {
	t.Helper()
	if ty == reflect.TypeOf(json.RawMessage(nil)) {
		return reflect.ValueOf(json.RawMessage(`{"k":"v"}`))
	}
	switch ty.Kind() {
	case reflect.Pointer:
		return reflect.New(ty.Elem())
	case reflect.String:
		return reflect.ValueOf("x").Convert(ty)
	case reflect.Int:
		return reflect.ValueOf(3).Convert(ty)
	case reflect.Slice:
		return reflect.MakeSlice(ty, 1, 1)
	}
	t.Fatalf("no test value for a field of type %s: extend nonZero", ty)
	return reflect.Value{}
}

// TestRequestFieldAccessors sets each field alone and checks that IsSet,
// Value and Copy see that field and no other, and that its JSON carries
// the row's key.
func TestRequestFieldAccessors(t *testing.T) {
	fields := RequestFields()
	for _, f := range fields {
		t.Run(f.Key, func(t *testing.T) {
			var r Request
			rv := reflect.ValueOf(&r).Elem().FieldByName(f.Name)
			if !rv.IsValid() {
				t.Fatalf("Request has no field %s", f.Name)
			}
			rv.Set(nonZero(t, rv.Type()))
			for _, other := range fields {
				if got := other.IsSet(r); got != (other.Key == f.Key) {
					t.Errorf("with only %s set, %s.IsSet = %v", f.Key, other.Key, got)
				}
				if got := other.Value(r); (got != nil) != (other.Key == f.Key) {
					t.Errorf("with only %s set, %s.Value = %v", f.Key, other.Key, got)
				}
			}
			if got := f.Value(r); !reflect.DeepEqual(got, rv.Interface()) {
				t.Errorf("Value = %#v, want %#v", got, rv.Interface())
			}
			var dst Request
			f.Copy(&dst, r)
			if !reflect.DeepEqual(dst, r) {
				t.Errorf("Copy gave %+v, want %+v", dst, r)
			}
			f.Copy(&dst, Request{})
			if !reflect.DeepEqual(dst, Request{}) {
				t.Errorf("Copy of an empty field left %+v", dst)
			}
			raw, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			if _, ok := doc[f.Key]; !ok || len(doc) != 1 {
				t.Errorf("%s alone encodes as %s, want the one key %q", f.Name, raw, f.Key)
			}
			if f.Subset && !strings.HasPrefix(string(doc[f.Key]), "{") {
				t.Errorf("%s is compared as a subset but encodes as %s, not an object", f.Key, doc[f.Key])
			}
			if k, ok := RequestFieldByKey(f.Key); !ok || k.Name != f.Name {
				t.Errorf("RequestFieldByKey(%q) = %+v, %v", f.Key, k, ok)
			}
		})
	}
	if _, ok := RequestFieldByKey("access_token"); ok {
		t.Error("RequestFieldByKey finds access_token, which is no request field")
	}
}

// TestRequestFieldEchoes checks that the paths a field's echoes name are
// in Result ("[*]" stepping into a list's elements), and that only access
// asks for a token.
func TestRequestFieldEchoes(t *testing.T) {
	member := func(rt reflect.Type, key string) (reflect.Type, bool) {
		for i := range rt.NumField() {
			if jsonKey(rt.Field(i)) == key {
				return rt.Field(i).Type, true
			}
		}
		return nil, false
	}
	var tokens []string
	for _, f := range RequestFields() {
		for _, e := range f.Echoes {
			rt := reflect.TypeOf(Result{})
			for step := range strings.SplitSeq(e, ".") {
				key, list := strings.CutSuffix(step, "[*]")
				next, ok := reflect.Type(nil), rt.Kind() == reflect.Struct
				if ok {
					next, ok = member(rt, key)
				}
				if ok && list {
					ok = next.Kind() == reflect.Slice
					next = next.Elem()
				}
				if !ok {
					t.Errorf("%s echoes %q, which is no path in Result (at %q)", f.Key, e, step)
					break
				}
				for next.Kind() == reflect.Pointer {
					next = next.Elem()
				}
				rt = next
			}
		}
		if f.Token {
			tokens = append(tokens, f.Key)
		}
	}
	if diff := cmp.Diff([]string{"access"}, tokens); diff != "" {
		t.Errorf("fields that ask for a token (-want +got):\n%s", diff)
	}
}

func TestRequestWithDefaults(t *testing.T) {
	square := Size{Preset: "Square"}
	for name, tt := range map[string]struct {
		in, want Request
	}{
		"empty": {Request{}, Request{Model: "auto", Size: &Size{Preset: "auto"}, Count: 1}},
		"set": {Request{Model: "m", Size: &square, Count: 4, Metadata: json.RawMessage(`{}`)},
			Request{Model: "m", Size: &Size{Preset: "square"}, Count: 4, Metadata: json.RawMessage(`{}`)}},
		"auto object": {Request{Size: &Size{Type: "auto"}, Count: -2}, Request{Model: "auto", Size: &Size{Preset: "auto"}, Count: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.in.WithDefaults()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if square.Preset != "Square" {
		t.Error("WithDefaults changed the size it was given")
	}
}

// TestAllRequestFields holds the iterator to RequestFields, and checks
// that stopping early stops it.
func TestAllRequestFields(t *testing.T) {
	var got []RequestField
	for f := range AllRequestFields() {
		got = append(got, f)
	}
	if diff := cmp.Diff(RequestFields(), got); diff != "" {
		t.Errorf("AllRequestFields (-RequestFields +iterator):\n%s", diff)
	}
	n := 0
	for range AllRequestFields() {
		n++
		break
	}
	if n != 1 {
		t.Errorf("a loop that breaks at once saw %d fields", n)
	}
}
