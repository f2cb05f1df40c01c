package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/mynthform/mynthform/planner"
)

// FuzzViews renders a plan whose address, prompt, messages and change
// values are arbitrary text, and checks that no view fails, the markdown
// stays under its limit with its verdict, the JUnit XML is well-formed, and
// the HTML never lets the text become markup.
func FuzzViews(f *testing.F) {
	f.Add(`task.x["a|b"]`, "<script>alert(1)</script>", "100% `done` @here\n| x |", 2000)
	f.Add("task.y", "\x00\x1b]]>&amp;", "::error::", 300)
	f.Fuzz(func(t *testing.T, addr, text, msg string, limit int) {
		if limit < 200 || limit > 1<<20 {
			limit = 2000
		}
		p := mixedPlan(goldenBase)
		p.Tasks[3].Address = addr
		p.Tasks[3].Request.Prompt.Positive = text
		p.Tasks[3].Checks = append(p.Tasks[3].Checks, failed("size", msg))
		p.Tasks[3].Changes = append(p.Tasks[3].Changes, planner.Change{Path: msg, Before: text, After: map[string]any{"k": msg}})
		for name, v := range views() {
			if err := v.Render(io.Discard, p); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		var md bytes.Buffer
		if err := (Markdown{Limit: limit}).Render(&md, p); err != nil {
			t.Fatal(err)
		}
		if md.Len() > limit {
			t.Fatalf("markdown of %d bytes over the limit %d", md.Len(), limit)
		}
		if !strings.HasPrefix(md.String(), "❌") {
			t.Fatalf("the verdict is gone")
		}
		var x bytes.Buffer
		if err := (JUnit{}).Render(&x, p); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&x)
		for {
			if _, err := dec.Token(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("JUnit not well-formed: %v", err)
			}
		}
		var h bytes.Buffer
		if err := (HTML{}).Render(&h, p); err != nil {
			t.Fatal(err)
		}
		doc, err := html.Parse(&h)
		if err != nil {
			t.Fatal(err)
		}
		scripts := 0
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "script" {
				scripts++
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if scripts != 1 {
			t.Fatalf("%d scripts in the page, want only its own", scripts)
		}
	})
}
