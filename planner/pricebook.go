package planner

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
	"github.com/mynthform/mynthform/state"
)

// PriceBook holds what one image costs, by model and resolved image size.
// The plan estimates what apply will spend with it, and apply's budget
// guard decides with the same book, so that the two never disagree.
//
// Prices come from two places. The spec's price blocks win; the others
// are learned from what the state recorded: a finished task's result
// total divided by its succeeded images (rounded up to eight places),
// for its requested and its resolved model and each resolved size of its
// images, the newest observation winning. A zero, negative or malformed
// cost teaches nothing: zero is no safe worst case.
//
// A request names a size as Mynth takes it ("landscape", "auto"), while
// prices are per resolved size ("1536x1024"): a "WxH" size is its own
// resolution, and a preset resolves as the newest recorded task of the
// same model and size did. When no price is known for the resolved size
// (or it cannot be told), the highest price known for the model at any
// size stands for it.
//
// A PriceBook is not safe for concurrent use; the budget guard locks it.
type PriceBook struct {
	// spec holds the spec's prices; size "" prices every size.
	spec map[priceKey]mynth.Amount
	// learned holds the newest observed price per model and size.
	learned map[priceKey]observedPrice
	// sizes maps a model and requested size to the resolved size its
	// newest task had.
	sizes map[priceKey]observedSize
	seq   int
	// last is the last price Learn divided: total / n.
	last struct {
		total, price mynth.Amount
		n            int
		ok           bool
	}
}

type priceKey struct{ model, size string }

type observedPrice struct {
	price mynth.Amount
	at    time.Time
	seq   int
}

type observedSize struct {
	size string
	at   time.Time
	seq  int
}

// NewPriceBook returns the price book of a spec's budget block (nil: no
// prices of its own) and a state (nil: nothing learned).
func NewPriceBook(b *spec.Budget, st *state.File) *PriceBook {
	pb := &PriceBook{spec: map[priceKey]mynth.Amount{}, learned: map[priceKey]observedPrice{}, sizes: map[priceKey]observedSize{}}
	if b != nil {
		for _, p := range b.Prices {
			if p.Image.IsZero() || p.Image.IsNegative() {
				continue // refused by the spec already
			}
			pb.spec[priceKey{modelKey(p.Model), p.Size}] = p.Image
		}
	}
	if st == nil {
		return pb
	}
	// Oldest first, so that the newest observation wins; ties in address
	// order, so that the book does not depend on map order.
	type obs struct {
		at   time.Time
		addr string
	}
	var order []obs
	for addr, t := range st.Tasks {
		order = append(order, obs{recordTime(t), addr})
	}
	sort.Slice(order, func(i, j int) bool {
		if !order[i].at.Equal(order[j].at) {
			return order[i].at.Before(order[j].at)
		}
		return order[i].addr < order[j].addr
	})
	for _, o := range order {
		t := st.Tasks[o.addr]
		pb.Learn(applyParseRequest(t.Request), applyParseResult(t.Result), o.at)
	}
	return pb
}

// planPriceBook is the price book of a plan: the spec's prices, what st
// recorded, and what the plan observed of the tasks it adopts or updates
// (apply records those before it creates anything). The plan and apply's
// budget guard both start from it.
func planPriceBook(b *spec.Budget, st *state.File, tasks []*TaskPlan) *PriceBook {
	pb := NewPriceBook(b, st)
	for _, tp := range tasks {
		if tp.Observed == nil || tp.Error != nil || (tp.Action != ActionAdopt && tp.Action != ActionUpdate) {
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, tp.Observed.UpdatedAt)
		req := tp.Observed.Request
		if req == nil && st != nil && st.Tasks[tp.Address] != nil {
			req = applyParseRequest(st.Tasks[tp.Address].Request)
		}
		pb.Learn(req, tp.Observed.Result, at)
	}
	return pb
}

// recordTime is when a recorded task was last observed: its updated_at,
// else its created_at, else the zero time.
func recordTime(t *state.Task) time.Time {
	for _, s := range []string{t.UpdatedAt, t.CreatedAt} {
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts
		}
	}
	return time.Time{}
}

// modelKey is the model a request names, "auto" when it names none.
func modelKey(m string) string {
	if m == "" {
		return "auto"
	}
	return m
}

// requestSizeKey is the requested size as a key, "auto" when none.
func requestSizeKey(s *mynth.Size) string {
	if s == nil {
		return "auto"
	}
	return s.Normalize().String()
}

// ImagePrice returns what one image of result r cost: its total divided
// by its succeeded images, rounded up to eight places. It fails for a
// result without a cost or succeeded images, and for a zero or negative
// cost, which is never a price.
func ImagePrice(r *mynth.Result) (mynth.Amount, error) {
	total, n, err := imagePriceOf(r)
	if err != nil {
		return mynth.Amount{}, err
	}
	return total.DivUp(int64(n)), nil
}

// imagePriceOf checks r as ImagePrice does and returns the total and the
// succeeded images it divides.
func imagePriceOf(r *mynth.Result) (mynth.Amount, int, error) {
	if r == nil || r.Cost == nil {
		return mynth.Amount{}, 0, fmt.Errorf("the result has no cost")
	}
	if err := CheckCost(r); err != nil {
		return mynth.Amount{}, 0, err
	}
	n := r.SucceededCount()
	if n == 0 {
		return mynth.Amount{}, 0, fmt.Errorf("no image succeeded")
	}
	if r.Cost.Total.IsZero() {
		return mynth.Amount{}, 0, fmt.Errorf("the cost is 0, which is no safe worst case")
	}
	return r.Cost.Total, n, nil
}

// CheckCost reports a result whose amounts Mynth cannot have meant: a
// negative total, images cost, fee or image cost. Such a result is an
// error for its task, never a price.
func CheckCost(r *mynth.Result) error {
	if r == nil {
		return nil
	}
	neg := func(what string, a mynth.Amount) error {
		if a.IsNegative() {
			return fmt.Errorf("a negative %s ($%s)", what, a.String())
		}
		return nil
	}
	if r.Cost != nil {
		if err := neg("total cost", r.Cost.Total); err != nil {
			return err
		}
		if err := neg("images cost", r.Cost.Images); err != nil {
			return err
		}
		if r.Cost.Fee != nil {
			if err := neg("fee", *r.Cost.Fee); err != nil {
				return err
			}
		}
	}
	for i := range r.Images {
		// The name is formatted only for a negative cost: this runs for
		// every task read.
		if c := r.Images[i].Cost; c != nil && c.IsNegative() {
			return neg(fmt.Sprintf("cost for image %d", i+1), *c)
		}
	}
	return nil
}

// Learn records the price of a finished task observed at time at; an
// observation as new as the newest one known replaces it. A request or
// result that teaches no price (nil, no cost, nothing succeeded, a zero
// or negative cost) is ignored.
func (pb *PriceBook) Learn(req *mynth.Request, res *mynth.Result, at time.Time) {
	if req == nil || res == nil {
		return
	}
	total, n, err := imagePriceOf(res)
	if err != nil {
		return
	}
	// ImagePrice, divided again only when the total or the count differs
	// from the last task's: a plan's tasks mostly cost the same.
	if !pb.last.ok || pb.last.n != n || pb.last.total.Cmp(total) != 0 {
		pb.last.total, pb.last.n, pb.last.price, pb.last.ok = total, n, total.DivUp(int64(n)), true
	}
	price := pb.last.price
	pb.seq++
	// One model or two, and the distinct sizes of the succeeded images
	// in order (usually one): on the stack, as Learn runs for every task
	// a plan adopts.
	var modelBuf [2]string
	models := append(modelBuf[:0], modelKey(req.Model))
	if res.Model != "" && res.Model != models[0] {
		models = append(models, res.Model)
	}
	var sizeBuf [4]string
	sizes := sizeBuf[:0]
	for i := range res.Images {
		im := &res.Images[i]
		if im.Status == mynth.ImageSucceeded && im.Size != "" && !contains(sizes, im.Size) {
			sizes = append(sizes, im.Size)
		}
	}
	if len(sizes) == 0 {
		sizes = append(sizes, "")
	}
	reqSize := ""
	if sizes[0] != "" {
		reqSize = requestSizeKey(req.Size)
	}
	for _, m := range models {
		for _, s := range sizes {
			k := priceKey{m, s}
			if old, ok := pb.learned[k]; !ok || !at.Before(old.at) {
				pb.learned[k] = observedPrice{price, at, pb.seq}
			}
		}
		if sizes[0] != "" {
			k := priceKey{m, reqSize}
			if old, ok := pb.sizes[k]; !ok || !at.Before(old.at) {
				pb.sizes[k] = observedSize{sizes[0], at, pb.seq}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// resolvedSize is the resolved size req will have, "" when it cannot be
// told.
func (pb *PriceBook) resolvedSize(req mynth.Request) string {
	if req.Size != nil {
		n := req.Size.Normalize()
		if n.Preset != "" && resolutionLike(n.Preset) {
			return n.Preset
		}
	}
	return pb.sizes[priceKey{modelKey(req.Model), requestSizeKey(req.Size)}].size
}

// resolutionLike reports whether s is "WxH".
func resolutionLike(s string) bool {
	var w, h int
	var rest string
	n, _ := fmt.Sscanf(s, "%dx%d%s", &w, &h, &rest)
	return n == 2 && w > 0 && h > 0
}

// ImagePriceFor returns what one image of req will cost and whether it is
// known: the spec's price for its model and resolved size, else the
// spec's price for every size of the model, else the learned price for
// the resolved size, else the highest learned price of the model.
func (pb *PriceBook) ImagePriceFor(req mynth.Request) (mynth.Amount, bool) {
	model := modelKey(req.Model)
	size := pb.resolvedSize(req)
	if size != "" {
		if p, ok := pb.spec[priceKey{model, size}]; ok {
			return p, true
		}
	}
	if p, ok := pb.spec[priceKey{model, ""}]; ok {
		return p, true
	}
	if size != "" {
		if p, ok := pb.learned[priceKey{model, size}]; ok {
			return p.price, true
		}
	}
	var best mynth.Amount
	found := false
	for k, p := range pb.learned {
		if k.model == model && (!found || p.price.Cmp(best) > 0) {
			best, found = p.price, true
		}
	}
	return best, found
}

// Estimate returns what creating req will cost (count × the image price)
// and whether it is known.
func (pb *PriceBook) Estimate(req mynth.Request) (mynth.Amount, bool) {
	p, ok := pb.ImagePriceFor(req)
	if !ok {
		return mynth.Amount{}, false
	}
	return p.Mul(int64(max(req.Count, 1))), true
}

// applyParseRequest decodes a recorded request; nil when there is none.
func applyParseRequest(raw json.RawMessage) *mynth.Request {
	var req mynth.Request
	if len(raw) == 0 || json.Unmarshal(raw, &req) != nil {
		return nil
	}
	return &req
}
