package mynth

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// emulatorTaskJSON is a completed task as the emulator and Mynth send it:
// the body every refresh decodes.
const emulatorTaskJSON = `{"createdAt":"2026-01-15T10:30:00.000Z","id":"tsk_SCALE00000","request":{"count":1,"model":"google/gemini-3.1-flash-image","prompt":"Studio photo of product p00000","size":"square"},"result":{"cost":{"images":"0.01250000","total":"0.01250000"},"images":[{"status":"succeeded","id":"img_SCALE00000","url":"/images/img_SCALE00000.png","cost":"0.01250000","size":"1024x1024"}],"model":"google/gemini-3.1-flash-image"},"status":"completed","type":"image.generate","updatedAt":"2026-01-15T10:30:12.000Z"}`

// scanTaskCases are bodies scanTask must decode as json.Unmarshal does,
// or leave to it: the plain shapes, every member form it hands on, and
// the inputs where a hand-written decoder most easily differs.
var scanTaskCases = []string{
	emulatorTaskJSON,
	taskJSON,
	" \t\r\n" + emulatorTaskJSON + "\n",
	`{"id":"tsk_2","status":"pending","request":{"prompt":{"positive":"p","negative":"n","enhance":"prefer_magic"},"size":{"type":"aspect_ratio","aspectRatio":"4:5","scale":"1k"},"inputs":["https://x/a.png",{"type":"image","role":"init","source":{"type":"url","url":"https://x/b.png"}}],"metadata":{"k":[1,2]}}}`,
	`{"id":"tsk_3","status":"failed","result":{"images":[{"status":"failed","error":{"code":"c","message":"m"}},{"status":"failed","error":"boom","content_rating":{"level":"safe"}}]}}`,
	`{"id":"tsk_4","status":"completed","request":{"prompt":{"positive":"p","enhance":false},"size":{"type":"resolution","width":640,"height":480,"mode":"fit"},"output":{"format":"png","quality":0},"webhook":{"enabled":true,"custom":[{"url":"https://h"}]},"content_rating":{"enabled":true,"levels":[{"value":"a","description":"b"}]},"access":{"pat":{"enabled":true}}},"result":{"cost":{"images":0.5,"total":"1","fee":"0.5","magic_prompt":{"x":"0.1"}},"size_auto":{"source":"model"},"prompt_enhance":{"source":"magic","positive":"pp"}}}`,
	`{"data":{"id":"tsk_5","status":"completed"}}`,
	`{"id":"tsk_6","status":"completed","result":{"images":[]}}`,
	`{"id":"tsk_6","status":"completed","result":{"images":[null,{}]}}`,
	`{"id":"tsk_6","status":"completed","result":{"images":null,"cost":null},"request":null}`,
	`{"id":"tsk_6","status":"completed","request":{"count":null,"prompt":null,"model":null}}`,
	`{}`, `{"id":"x"}`, `{"status":"pending"}`,
	// Keys: duplicates, other cases, escapes, non-ASCII, the ignored Raw.
	`{"id":"a","id":"b","status":"pending"}`,
	`{"id":"a","ID":"b","status":"pending"}`,
	`{"Id":"a","STATUS":"pending"}`,
	`{"id":"a","status":"pending","result":{"images":[{"status":"succeeded","Status":"failed"}]}}`,
	`{"\u0069d":"a","status":"pending"}`,
	`{"id":"a","status":"pending","ſtatus":"failed"}`,
	`{"id":"a","status":"pending","Raw":"x","-":1}`,
	// Strings: escapes, UTF-8 good and bad, control bytes.
	`{"id":"t\"s\\k\u00e9\n","status":"pending","request":{"prompt":"a \u003cb\u003e","size":"sq\/uare"}}`,
	`{"id":"tsk_é","status":"pending","request":{"prompt":"café ☕ 𝄞"}}`,
	"{\"id\":\"tsk_\xff\",\"status\":\"pending\"}",
	"{\"id\":\"tsk\",\"status\":\"pending\",\"request\":{\"prompt\":\"\xc3\"}}",
	"{\"id\":\"tsk\",\"status\":\"pending\",\"other\":\"\xff\xfe\"}",
	"{\"id\":\"tsk\x01\",\"status\":\"pending\"}",
	`{"id":"tsk","status":"pending","x":"\q"}`,
	`{"id":"tsk","status":"pending","x":"\u12G4"}`,
	`{"id":"tsk\ud800","status":"pending"}`,
	// Numbers.
	`{"id":"t","status":"pending","request":{"count":2}}`,
	`{"id":"t","status":"pending","request":{"count":-0}}`,
	`{"id":"t","status":"pending","request":{"count":1.0}}`,
	`{"id":"t","status":"pending","request":{"count":1e2}}`,
	`{"id":"t","status":"pending","request":{"count":01}}`,
	`{"id":"t","status":"pending","request":{"count":99999999999999999999}}`,
	`{"id":"t","status":"pending","request":{"count":"1"}}`,
	`{"id":"t","status":"pending","x":[1.5e-3,-0.0,0E+1,true,false,null,{"a":{}}]}`,
	`{"id":"t","status":"pending","x":-}`, `{"id":"t","status":"pending","x":1.}`, `{"id":"t","status":"pending","x":.5}`,
	`{"id":"t","status":"pending","x":1e}`, `{"id":"t","status":"pending","x":tru}`, `{"id":"t","status":"pending","x":nul}`,
	// Amounts.
	`{"id":"t","status":"completed","result":{"cost":{"images":"1e3","total":"x"}}}`,
	`{"id":"t","status":"completed","result":{"cost":{"images":"","total":"1"}}}`,
	`{"id":"t","status":"completed","result":{"cost":{"images":"0.1","total":"0.2","fee":null}}}`,
	`{"id":"t","status":"completed","result":{"images":[{"status":"succeeded","cost":null}]}}`,
	`{"id":"t","status":"completed","result":{"images":[{"status":"succeeded","cost":0.0125}]}}`,
	`{"id":"t","status":"completed","result":{"images":[{"status":"succeeded","cost":"\u0030.5"}]}}`,
	// Wrong types and structure.
	`{"id":5,"status":"pending"}`, `{"id":"t","status":true}`, `{"id":"t","status":"pending","request":"x"}`,
	`{"id":"t","status":"pending","result":{"images":{}}}`, `{"id":"t","status":"pending","result":{"images":["x"]}}`,
	`{"id":"t","status":"pending"} x`, `{"id":"t","status":"pending"}{}`, `{"id":"t","status":"pending"`,
	`{"id":"t","status":"pending",}`, `{"id":"t",,"status":"pending"}`, `{"id":"t" "status":"pending"}`,
	`{"id""t"}`, `{"id":}`, `{id:"t"}`, `{"id":"t","x":[1,]}`, `{"id":"t","x":[1 2]}`, `{"id":"t","x":[,1]}`,
	`[]`, `null`, `""`, ``, ` `, `{`, `}`, "\xef\xbb\xbf{}",
	`{"id":"t","status":"pending","x":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`,
	`{"id":"t","status":"pending","x":` + strings.Repeat(`{"a":`, 150) + "1" + strings.Repeat("}", 150) + `}`,
}

// checkScanTask fails when scanTask accepts body but decodes it otherwise
// than json.Unmarshal, or accepts a body json.Unmarshal refuses.
func checkScanTask(t *testing.T, body []byte) (scanned bool) {
	t.Helper()
	var fast, slow Task
	if !scanTask(body, &fast) {
		return false
	}
	if err := json.Unmarshal(body, &slow); err != nil {
		t.Fatalf("scanTask accepted %q, which json.Unmarshal refuses: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("scanTask decoded %q as\n%+v\njson.Unmarshal as\n%+v", body, fast, slow)
	}
	// The same into parts allocated together (a client's read).
	var parts taskParts
	if !scanTaskParts(body, &parts) {
		t.Fatalf("scanTaskParts refused %q, which scanTask accepts", body)
	}
	if !reflect.DeepEqual(parts.task, slow) {
		t.Fatalf("scanTaskParts decoded %q as\n%+v\njson.Unmarshal as\n%+v", body, parts.task, slow)
	}
	return true
}

func TestScanTaskMatchesUnmarshal(t *testing.T) {
	for _, body := range scanTaskCases {
		checkScanTask(t, []byte(body))
	}
}

// TestScanTaskTakesThePlainShape makes sure the speed-up does not vanish
// unnoticed: the bodies of a refresh must not fall back to json.Unmarshal.
func TestScanTaskTakesThePlainShape(t *testing.T) {
	for _, body := range []string{
		emulatorTaskJSON, taskJSON, scanTaskCases[3], scanTaskCases[4], scanTaskCases[5],
		`{"id":"t\"s\\k","status":"pending","request":{"prompt":"café"}}`,
	} {
		if !checkScanTask(t, []byte(body)) {
			t.Errorf("scanTask left %s to json.Unmarshal", body)
		}
	}
	for _, body := range []string{
		`{"id":"a","id":"b","status":"pending"}`, `{"id":"a","ID":"b","status":"pending"}`,
		"{\"id\":\"tsk_\xff\",\"status\":\"pending\"}", `{"id":null,"status":"pending"}`,
		`{"id":"t","status":"pending"} x`,
	} {
		if checkScanTask(t, []byte(body)) {
			t.Errorf("scanTask decoded %s itself; it must leave it to json.Unmarshal", body)
		}
	}
}

// TestDecodeTaskRawOwnership: DecodeTask's Raw is a copy of the body, the
// client's own decoding keeps the body it read.
func TestDecodeTaskRawOwnership(t *testing.T) {
	body := []byte(" " + emulatorTaskJSON + "\n")
	task, err := DecodeTask(body)
	if err != nil {
		t.Fatal(err)
	}
	body[1] = 'X'
	if string(task.Raw) != emulatorTaskJSON {
		t.Fatalf("DecodeTask's Raw changed with the caller's buffer: %.40s", task.Raw)
	}
	body[1] = '{'
	owned, err := decodeTask(body, true)
	if err != nil {
		t.Fatal(err)
	}
	if string(owned.Raw) != emulatorTaskJSON || &owned.Raw[0] != &body[1] {
		t.Fatalf("decodeTask(owned) copied or changed Raw: %.40s", owned.Raw)
	}
}

// FuzzScanTask holds scanTask to json.Unmarshal: whatever it decodes
// itself, it decodes to the same Task.
func FuzzScanTask(f *testing.F) {
	for _, s := range scanTaskCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScanTask(t, body)
	})
}

// BenchmarkDecodeTask compares the decodings of the body every refresh
// reads: scan allocating the task's values one by one, parts as a
// client's read does (one allocation for them all), and unmarshal.
func BenchmarkDecodeTask(b *testing.B) {
	body := []byte(emulatorTaskJSON)
	for _, d := range []struct {
		name   string
		decode func() bool
	}{
		{"scan", func() bool { var t Task; return scanTask(body, &t) }},
		{"parts", func() bool { var p taskParts; return scanTaskParts(body, &p) }},
		{"unmarshal", func() bool { var t Task; return json.Unmarshal(body, &t) == nil }},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !d.decode() {
					b.Fatal("not decoded")
				}
			}
		})
	}
}

// TestPlainAmountIsParseAmount: the scanner's own reading of a plain
// amount gives the value ParseAmount gives, representation included, and
// leaves every other text to ParseAmount.
func TestPlainAmountIsParseAmount(t *testing.T) {
	for _, text := range []string{
		"0.01250000", "0", "-0", "5", "-1.50", "00.10", "123456789012345678", "0.00000001",
		"12345678901234567.8", "-99999999999999999.9",
	} {
		a, n, ok := plainAmount([]byte(text + `"`))
		if !ok || n != len(text) {
			t.Errorf("plainAmount(%q) = _, %d, %v; want it read", text, n, ok)
			continue
		}
		want, err := ParseAmount(text)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, want) {
			t.Errorf("plainAmount(%q) = %#v, ParseAmount %#v", text, a, want)
		}
	}
	for _, text := range []string{
		"", "-", ".", "5.", ".5", "-.5", "+5", "1e3", "1.2.3", "0x10", " 1", "1 ", "1234567890123456789",
		"0.0000000000000000001", "1,5", `1\u0030`,
	} {
		if _, _, ok := plainAmount([]byte(text + `"`)); ok {
			t.Errorf("plainAmount(%q) read it; it must leave it to ParseAmount", text)
		}
	}
	if _, _, ok := plainAmount([]byte("0.5")); ok {
		t.Error("plainAmount read an amount without its closing quote")
	}
}
