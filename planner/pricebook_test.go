package planner

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// pricedRecord is a completed task of model and size whose images came out
// at resolved and cost total together, observed at updated.
func pricedRecord(model, size, resolved, total string, images int, updated string) *state.Task {
	req := map[string]any{"model": model, "prompt": "p", "count": images}
	if size != "" {
		req["size"] = size
	}
	var ims []map[string]any
	for range images {
		ims = append(ims, map[string]any{"id": "i", "status": "succeeded", "url": "u", "size": resolved})
	}
	res := map[string]any{"model": model, "images": ims, "cost": map[string]any{"images": total, "total": total}}
	rq, _ := json.Marshal(req)
	rs, _ := json.Marshal(res)
	return &state.Task{ID: "tsk_" + updated, Status: mynth.StatusCompleted, Request: rq, Result: rs, UpdatedAt: updated}
}

func TestPriceBook(t *testing.T) {
	st := &state.File{Tasks: map[string]*state.Task{
		// Two observations of one model and size: the newer wins, even
		// though it is cheaper and its address sorts first.
		"task.b_old": pricedRecord("m/a", "landscape", "1536x1024", "0.03", 1, "2026-01-01T10:00:00Z"),
		"task.a_new": pricedRecord("m/a", "landscape", "1536x1024", "0.02", 1, "2026-01-02T10:00:00Z"),
		// Three images for $0.01: rounded up, never down.
		"task.c": pricedRecord("m/c", "", "1024x1024", "0.01", 3, "2026-01-01T10:00:00Z"),
		// Zero and negative totals teach nothing.
		"task.z": pricedRecord("m/zero", "", "1024x1024", "0", 1, "2026-01-03T10:00:00Z"),
		"task.n": pricedRecord("m/neg", "", "1024x1024", "-1.00", 1, "2026-01-03T10:00:00Z"),
		// A newer zero does not erase an older price.
		"task.y1": pricedRecord("m/y", "", "1024x1024", "0.05", 1, "2026-01-01T10:00:00Z"),
		"task.y2": pricedRecord("m/y", "", "1024x1024", "0", 1, "2026-01-05T10:00:00Z"),
		// Two sizes of one model.
		"task.s1": pricedRecord("m/s", "square", "1024x1024", "0.01", 1, "2026-01-01T10:00:00Z"),
		"task.s2": pricedRecord("m/s", "2048x2048", "2048x2048", "0.04", 1, "2026-01-01T10:00:00Z"),
	}}
	b := &spec.Budget{Prices: []*spec.Price{
		{Model: "m/spec", Image: mynth.MustParseAmount("0.007")},
		{Model: "m/a", Size: "1536x1024", Image: mynth.MustParseAmount("0.05")},
	}}
	pb := NewPriceBook(nil, st)
	withSpec := NewPriceBook(b, st)
	size := func(s string) *mynth.Size { return &mynth.Size{Preset: s} }
	for name, tc := range map[string]struct {
		book *PriceBook
		req  mynth.Request
		want string // "" when unknown
	}{
		"newest wins":                    {pb, mynth.Request{Model: "m/a", Size: size("landscape"), Count: 2}, "0.04000000"},
		"preset resolved as recorded":    {pb, mynth.Request{Model: "m/a", Size: size("Landscape")}, "0.02000000"},
		"WxH is its own resolution":      {pb, mynth.Request{Model: "m/a", Size: size("1536x1024")}, "0.02000000"},
		"divided, rounded up":            {pb, mynth.Request{Model: "m/c", Count: 3}, "0.01000002"},
		"zero is no price":               {pb, mynth.Request{Model: "m/zero"}, ""},
		"negative is no price":           {pb, mynth.Request{Model: "m/neg"}, ""},
		"a newer zero erases nothing":    {pb, mynth.Request{Model: "m/y"}, "0.05000000"},
		"unknown model":                  {pb, mynth.Request{Model: "m/new"}, ""},
		"known size of the model":        {pb, mynth.Request{Model: "m/s", Size: size("square")}, "0.01000000"},
		"unknown size: the model's most": {pb, mynth.Request{Model: "m/s", Size: size("portrait")}, "0.04000000"},
		"spec price for every size":      {withSpec, mynth.Request{Model: "m/spec", Count: 2}, "0.01400000"},
		"spec price beats the state":     {withSpec, mynth.Request{Model: "m/a", Size: size("landscape")}, "0.05000000"},
		"spec price of another size":     {withSpec, mynth.Request{Model: "m/a", Size: size("1024x1024")}, "0.02000000"},
	} {
		t.Run(name, func(t *testing.T) {
			est, ok := tc.book.Estimate(tc.req)
			got := ""
			if ok {
				got = est.String()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("estimate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckCost(t *testing.T) {
	neg := mynth.MustParseAmount("-0.01")
	pos := mynth.MustParseAmount("0.01")
	for name, r := range map[string]*mynth.Result{
		"total":  {Cost: &mynth.Cost{Total: neg, Images: pos}},
		"images": {Cost: &mynth.Cost{Total: pos, Images: neg}},
		"fee":    {Cost: &mynth.Cost{Total: pos, Images: pos, Fee: &neg}},
		"image":  {Images: []mynth.Image{{Status: mynth.ImageSucceeded, Cost: &neg}}, Cost: &mynth.Cost{Total: pos, Images: pos}},
	} {
		if err := CheckCost(r); err == nil {
			t.Errorf("%s: a negative amount passed", name)
		}
	}
	if err := CheckCost(&mynth.Result{Cost: &mynth.Cost{Total: pos, Images: pos}}); err != nil {
		t.Errorf("a good cost: %v", err)
	}
}
