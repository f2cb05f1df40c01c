package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// eightPlaces matches an amount printed with Mynth's eight places, which
// people should never have to read.
var eightPlaces = regexp.MustCompile(`\$[0-9]+\.[0-9]{8}\b`)

// TestE2EAmountsForPeople: the human plan, show, apply and the markdown
// report print money with the digits that matter, while JSON and the state
// keep the exact eight places.
func TestE2EAmountsForPeople(t *testing.T) {
	srv := mynthtest.NewServer(t, mynthtest.Options{})
	dir := t.TempDir()
	env := applyEnv(srv)
	writeSpec(t, dir, productSpec(map[string]string{"mug": "a mug", "bowl": "a bowl", "vase": "a vase"}, "0.05"))

	apply := runBin(t, dir, env, "apply", "--auto-approve")
	mustCode(t, apply, 0, "apply")
	plan := runBin(t, dir, env, "plan")
	mustCode(t, plan, 0, "plan")
	show := runBin(t, dir, env, "show")
	mustCode(t, show, 0, "show")
	state := runBin(t, dir, env, "state", "show", `task.product["mug"]`)
	mustCode(t, state, 0, "state show")
	md := runBin(t, dir, env, "report", "--format", "markdown")
	mustCode(t, md, 0, "report")
	for name, c := range map[string]struct {
		out  string
		want []string
	}{
		"apply":      {apply.Stdout, []string{"1 image, $0.0125, saved", "Spent $0.0375."}},
		"plan":       {plan.Stdout, []string{"$0.0125  tsk_", "Cost: $0.0375 over 3 tasks."}},
		"show":       {show.Stdout, []string{"Current cost: $0.0375 over 3 tasks", "Total spent: $0.0375, of which $0.00 on 0 tasks replaced or forgotten"}},
		"state show": {state.Stdout, []string{"cost:    $0.0125"}},
		"report":     {md.Stdout, []string{"**Total cost:** $0.0375 over 3 tasks."}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.out, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, c.out)
			}
		}
		if m := eightPlaces.FindString(c.out); m != "" {
			t.Errorf("%s prints %s with all eight places:\n%s", name, m, c.out)
		}
	}
	js := runBin(t, dir, env, "plan", "--json")
	mustCode(t, js, 0, "plan --json")
	// Amounts stay exact; a check's message is prose, for people.
	if !strings.Contains(js.Stdout, `"cost": "0.03750000"`) || !strings.Contains(js.Stdout, `"cost": "0.01250000"`) || strings.Contains(js.Stdout, `"$`) ||
		!strings.Contains(js.Stdout, "recorded $0.0375 = $0.0375 is within max_total $0.05") {
		t.Errorf("plan --json does not keep exact amounts:\n%s", js.Stdout)
	}
}
