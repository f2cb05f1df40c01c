package render

import (
	"fmt"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/planner"
)

// canary is a secret that a fixture carries in a sensitive change; no view
// may print it.
const canary = "pat_CANARY_9f2b7c1e_do_not_print"

func amt(s string) *mynth.Amount {
	a := mynth.MustParseAmount(s)
	return &a
}

func str(s string) *string { return &s }

func rng(file string, line, endLine int) *planner.Range {
	return &planner.Range{Filename: file, Start: planner.Pos{Line: line, Column: 1}, End: planner.Pos{Line: endLine, Column: 2}}
}

func req(prompt, negative, model, size string) *mynth.Request {
	r := &mynth.Request{Prompt: &mynth.Prompt{Positive: prompt, Negative: negative}, Model: model}
	if size != "" {
		r.Size = &mynth.Size{Preset: size}
	}
	return r
}

func passed(name planner.CheckName, msg string) planner.Check {
	return planner.Check{Name: name, Outcome: planner.OutcomePassed, Message: msg, Severity: "error"}
}

func failed(name planner.CheckName, msg string) planner.Check {
	return planner.Check{Name: name, Outcome: planner.OutcomeFailed, Message: msg, Severity: "error"}
}

func pending(name planner.CheckName, msg string) planner.Check {
	return planner.Check{Name: name, Outcome: planner.OutcomePending, Message: msg, Severity: "error"}
}

func img(base, id, size, cost string) planner.Image {
	return planner.Image{ID: id, Status: "succeeded", URL: base + "/images/" + id + ".png", Size: size, Cost: amt(cost)}
}

// summarize fills a plan's summary from its tasks and checks, as the
// planner does.
func summarize(p *planner.Plan) *planner.Plan {
	p.FormatVersion = planner.PlanFormatVersion
	var s planner.Summary
	count := func(c planner.Check) {
		switch c.Outcome {
		case planner.OutcomePassed:
			s.Checks.Passed++
		case planner.OutcomeFailed:
			s.Checks.Failed++
		case planner.OutcomePending:
			s.Checks.Pending++
		}
	}
	for _, c := range p.Checks {
		count(c)
	}
	for _, t := range p.Tasks {
		switch t.Action {
		case planner.ActionGenerate:
			s.Generate++
		case planner.ActionAdopt:
			s.Adopt++
		case planner.ActionReplace:
			s.Replace++
		case planner.ActionUpdate:
			s.Update++
		case planner.ActionForget:
			s.Forget++
		default:
			s.None++
		}
		for _, c := range t.Checks {
			count(c)
		}
		if t.Cost != nil {
			s.Cost = s.Cost.Add(*t.Cost)
		}
		creates := t.Error == nil && (t.Action == planner.ActionGenerate || t.Action == planner.ActionReplace)
		switch {
		case creates && t.Estimate == nil:
			s.Estimate.Unpriced++
		case creates:
			s.Estimate.Priced++
			s.Estimate.Total = s.Estimate.Total.Add(*t.Estimate)
		case t.Error == nil:
			t.Estimate = amt("0")
		}
	}
	p.Summary = s
	if p.Tasks == nil {
		p.Tasks = []*planner.TaskPlan{}
	}
	if p.Diagnostics == nil {
		p.Diagnostics = []planner.Diagnostic{}
	}
	return p
}

const (
	flash = "google/gemini-3.1-flash-image"
	pro   = "openai/gpt-image-1.5"
)

// fixturePlans is the fixture set of the golden tests: between them they
// hold every action, check outcome, status and error the views show. base
// is the URL the image URLs start with.
func fixturePlans(base string) map[string]*planner.Plan {
	return map[string]*planner.Plan{
		"mixed":     mixedPlan(base),
		"nochanges": noChangesPlan(base),
		"empty":     summarize(&planner.Plan{}),
		"budget":    budgetPlan(base),
	}
}

func mixedPlan(base string) *planner.Plan {
	return summarize(&planner.Plan{
		Checks: []planner.Check{passed("budget", "total cost $0.1375 is within max_total $5.00")},
		Tasks: []*planner.TaskPlan{
			{
				Address: "task.banner", ID: "tsk_01BANNER", Action: planner.ActionUpdate,
				Reason: "the task completed since the last apply", Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.02500000"), RequestVerifiable: true,
				Request: req("Wide banner of a mountain lake at dawn, soft mist", "", flash, "landscape"),
				Images:  []planner.Image{img(base, "img_banner1", "1536x1024", "0.01250000"), img(base, "img_banner2", "1536x1024", "0.01250000")},
				Changes: []planner.Change{
					{Path: "result.status", Before: "pending", After: "completed"},
					{Path: "result.images[0].url", Before: nil, After: base + "/images/img_banner1.png"},
				},
				Checks: []planner.Check{passed("status", "completed"), passed("images", "2 succeeded images, 2 expected"), passed("size", "every image is 1536x1024")},
				Range:  rng("main.mynth.hcl", 12, 20),
			},
			{
				Address: "task.broken", ID: "tsk_01BROKEN", Action: planner.ActionNone, Status: planner.StatusUnknown,
				Error:   str("reading task tsk_01BROKEN: Mynth answered 503 Service Unavailable after 4 attempts"),
				Request: req("Isometric illustration of a tiny <b>bakery</b> & café", "", flash, "square"),
				Checks:  []planner.Check{},
				Range:   rng("main.mynth.hcl", 22, 27),
			},
			{
				Address: "task.flaky", ID: "tsk_01FLAKY", Action: planner.ActionNone, Status: planner.StatusCompleted,
				Model: pro, Cost: amt("0.04000000"), RequestVerifiable: true,
				Request: req("Portrait of a red fox in the snow, 85mm, shallow depth of field", "blur, text", pro, "portrait"),
				Images: []planner.Image{
					img(base, "img_fox1", "1024x1536", "0.04000000"),
					{Status: "failed", Error: "content policy: the image was blocked"},
				},
				Files: []planner.FileStatus{{Path: "assets/fox-1.png", State: "ok", ImageID: "img_fox1"}, {Path: "assets/fox-2.png", State: "failed"}},
				Checks: []planner.Check{
					passed("status", "completed"),
					{Name: "images", Outcome: planner.OutcomeFailed, Message: "1 succeeded image, 2 expected", Severity: "warning"},
				},
				Range: rng("portraits.mynth.hcl", 3, 14),
			},
			{
				Address: "task.hero_mug", ID: "tsk_01KE7XWWEQ4MCGWKBQKJ1G47RP", Action: planner.ActionAdopt,
				Reason: "pinned id not in the state yet", Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), RequestVerifiable: true,
				Request: req("Editorial product photo of a ceramic mug", "", flash, "landscape"),
				Images:  []planner.Image{img(base, "img_mug", "1536x1024", "0.01250000")},
				Checks: []planner.Check{
					passed("status", "completed"),
					passed("size", "every image is 1536x1024"),
					failed("max_cost", "cost $0.0125 is over max_cost $0.01"),
				},
				Range: rng("main.mynth.hcl", 1, 10),
			},
			{
				Address: "task.old_logo", ID: "tsk_01OLDLOGO", Action: planner.ActionForget,
				Reason: "no longer declared", Status: planner.StatusCompleted, Cost: amt("0.01250000"),
				Images: []planner.Image{img(base, "img_logo", "1024x1024", "0.01250000")},
				Checks: []planner.Check{},
			},
			{
				Address: "task.pinned", ID: "tsk_01PINNED", Action: planner.ActionNone, Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), RequestVerifiable: true, Drift: true,
				Request: req("A lighthouse on a cliff, watercolor", "", pro, "square"),
				Images:  []planner.Image{img(base, "img_lighthouse", "1024x1024", "0.01250000")},
				Changes: []planner.Change{{Path: "request.model", Before: flash, After: pro}},
				Checks:  []planner.Check{passed("status", "completed")},
				Range:   rng("main.mynth.hcl", 30, 36),
			},
			{
				Address: "task.poster", ID: "tsk_01POSTER", Action: planner.ActionReplace,
				Reason: "the spec's request differs from the recorded task", Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), Estimate: amt("0.01250000"), RequestVerifiable: true,
				Request: req("Retro travel poster of Lisbon, bold flat colours", "", flash, "portrait"),
				Images:  []planner.Image{img(base, "img_poster", "1024x1536", "0.01250000")},
				Changes: []planner.Change{{Path: "request.prompt", Before: "Retro travel poster of Porto", After: "Retro travel poster of Lisbon, bold flat colours"}},
				Files:   []planner.FileStatus{{Path: "assets/poster.png", State: "modified", ImageID: "img_poster"}},
				Checks:  []planner.Check{passed("status", "completed"), failed("file", "assets/poster.png was modified since apply saved it")},
				Range:   rng("main.mynth.hcl", 38, 45),
			},
			{
				Address: `task.product["bowl"]`, Action: planner.ActionGenerate, Reason: "not created yet",
				Status: planner.StatusNotCreated, Model: flash,
				Request: req("Studio photo of a stoneware bowl, white background", "text, watermark", flash, "square"),
				Images:  []planner.Image{},
				Files:   []planner.FileStatus{{Path: "assets/products/bowl.webp", State: "absent"}},
				Checks:  []planner.Check{pending("status", "the task does not exist yet")},
				Range:   rng("products.mynth.hcl", 9, 17),
			},
			{
				Address: `task.product["mug"]`, ID: "tsk_01PRODMUG", Action: planner.ActionNone, Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), RequestVerifiable: true,
				Request: req("Studio photo of a ceramic mug, white background", "text, watermark", flash, "square"),
				Images:  []planner.Image{{ID: "img_prodmug", Status: "succeeded", URL: base + "/images/img_prodmug.png", Size: "1024x1024", Cost: amt("0.01250000"), File: "assets/products/mug.webp"}},
				Files:   []planner.FileStatus{{Path: "assets/products/mug.webp", State: "ok", ImageID: "img_prodmug"}},
				Checks:  []planner.Check{passed("status", "completed"), passed("images", "1 succeeded image, 1 expected")},
				Range:   rng("products.mynth.hcl", 9, 17),
			},
			{
				Address: "task.shared", ID: "tsk_01SHARED", Action: planner.ActionUpdate,
				Reason: "the access token changed", Status: planner.StatusCompleted, Cost: amt("0.01250000"),
				RequestVerifiable: false,
				Images:            []planner.Image{img(base, "img_shared", "1024x1024", "0.01250000")},
				Changes:           []planner.Change{{Path: "access_token", Before: "pat_OLD_" + canary, After: canary, Sensitive: true}},
				Checks:            []planner.Check{passed("status", "completed")},
				Range:             rng("shared.mynth.hcl", 1, 6),
			},
			{
				Address: "task.slow", ID: "tsk_01SLOW", Action: planner.ActionNone, Status: planner.StatusPending,
				Model: flash, RequestVerifiable: true,
				Request: req("Cinematic still of a neon-lit alley in the rain", "", flash, "landscape"),
				Images:  []planner.Image{},
				Checks:  []planner.Check{pending("status", "the task is still pending"), pending("images", "the task is still pending")},
				Range:   rng("main.mynth.hcl", 47, 52),
			},
			{
				Address: "task.storm", ID: "tsk_01STORM", Action: planner.ActionNone, Status: planner.StatusFailed,
				Model: flash, RequestVerifiable: true,
				Request: req("Thunderstorm over a wheat field [[fail]]", "", flash, "landscape"),
				Images:  []planner.Image{},
				Checks:  []planner.Check{failed("status", "the task failed; completed expected")},
				Range:   rng("main.mynth.hcl", 54, 59),
			},
		},
		Diagnostics: []planner.Diagnostic{
			{Severity: "error", Summary: "Task could not be read", Detail: "Mynth answered 503 Service Unavailable after 4 attempts. Run the plan again later.",
				Address: "task.broken", Range: rng("main.mynth.hcl", 22, 22)},
			{Severity: "warning", Summary: "Deprecated size preset", Detail: "The size \"instagram\" may be removed; use \"1080x1350\".",
				Address: "task.flaky", Range: rng("portraits.mynth.hcl", 6, 6)},
		},
	})
}

func noChangesPlan(base string) *planner.Plan {
	return summarize(&planner.Plan{
		Tasks: []*planner.TaskPlan{
			{
				Address: "task.hero", ID: "tsk_01HERO", Action: planner.ActionNone, Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), RequestVerifiable: true,
				Request: req("Editorial product photo of a ceramic mug", "", flash, "landscape"),
				Images:  []planner.Image{img(base, "img_hero", "1536x1024", "0.01250000")},
				Checks:  []planner.Check{passed("status", "completed"), passed("images", "1 succeeded image, 1 expected")},
				Range:   rng("main.mynth.hcl", 1, 8),
			},
			{
				Address: "task.icon", ID: "tsk_01ICON", Action: planner.ActionNone, Status: planner.StatusCompleted,
				Model: flash, Cost: amt("0.01250000"), RequestVerifiable: true,
				Request: req("Flat app icon of a paper plane", "", flash, "square"),
				Images:  []planner.Image{img(base, "img_icon", "1024x1024", "0.01250000")},
				Checks:  []planner.Check{passed("status", "completed")},
				Range:   rng("main.mynth.hcl", 10, 15),
			},
		},
	})
}

func budgetPlan(base string) *planner.Plan {
	p := &planner.Plan{
		Checks: []planner.Check{failed("budget", "recorded $5.00 + estimate $0.025 (task.alpha, task.beta) = $5.025 is over max_total $5.00; apply would stop before passing it"),
			{Name: "budget_unpriced", Outcome: planner.OutcomeFailed, Severity: "warning", Message: "1 task to create has no known price (task.gamma): the estimate leaves them out"}},
	}
	for i, name := range []string{"alpha", "beta", "gamma"} {
		var est *mynth.Amount
		if name != "gamma" {
			est = amt("0.01250000")
		}
		p.Tasks = append(p.Tasks, &planner.TaskPlan{
			Address: fmt.Sprintf("task.%s", name), Action: planner.ActionGenerate, Reason: "not created yet",
			Status: planner.StatusNotCreated, Model: flash, Estimate: est,
			Request: req(fmt.Sprintf("Abstract pattern number %d", i+1), "", flash, "square"),
			Images:  []planner.Image{},
			Checks:  []planner.Check{pending("status", "the task does not exist yet")},
			Range:   rng("main.mynth.hcl", 5*i+1, 5*i+4),
		})
	}
	return summarize(p)
}

// bigPlan is a plan of n tasks, every failEvery-th of which fails a check
// (0: none fails).
func bigPlan(n, failEvery int) *planner.Plan {
	p := &planner.Plan{}
	for i := range n {
		t := &planner.TaskPlan{
			Address: fmt.Sprintf(`task.product["sku-%06d"]`, i), ID: fmt.Sprintf("tsk_%026d", i),
			Action: planner.ActionNone, Status: planner.StatusCompleted, Model: flash, Cost: amt("0.01250000"),
			RequestVerifiable: true,
			Images:            []planner.Image{img("https://images.example.test", fmt.Sprintf("img_%06d", i), "1024x1024", "0.01250000")},
			Checks:            []planner.Check{passed("status", "completed")},
		}
		if i%7 == 3 {
			t.Action, t.Reason = planner.ActionUpdate, "the image URLs changed"
			t.Changes = []planner.Change{{Path: "result.images[0].url", Before: "https://old.example.test/x.png", After: t.Images[0].URL}}
		}
		if failEvery > 0 && i%failEvery == 0 {
			t.Checks = append(t.Checks, failed("max_cost", "cost $0.0125 is over max_cost $0.01"))
		}
		p.Tasks = append(p.Tasks, t)
	}
	return summarize(p)
}
