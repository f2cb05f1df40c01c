package planner

import (
	"testing"
	"time"

	"github.com/mynthform/mynthform/mynth"
)

// TestPollScheduleIsTheSDKs checks that apply polls on the schedule package
// mynth keeps, for the defaults and for a schedule given in part.
func TestPollScheduleIsTheSDKs(t *testing.T) {
	for name, p := range map[string]PollSchedule{
		"zero":       {},
		"fast only":  {Fast: 8 * time.Second},
		"no fast":    {FastFor: -1},
		"all given":  {Fast: time.Millisecond, FastFor: time.Second, Slow: 2 * time.Millisecond},
		"slow below": {Fast: time.Second, Slow: time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			got := p.withDefaults()
			want := mynth.PollSchedule{Fast: p.Fast, FastFor: p.FastFor, Slow: p.Slow}.WithDefaults()
			if got.Fast != want.Fast || got.FastFor != want.FastFor || got.Slow != want.Slow || got.MaxErrors != defaultMaxErrors {
				t.Errorf("withDefaults() = %+v, want %+v and %d errors", got, want, defaultMaxErrors)
			}
			for _, e := range []time.Duration{0, time.Second, 12 * time.Second, time.Minute} {
				if g, w := got.interval(e), want.Interval(e); g != w {
					t.Errorf("interval(%s) = %s, want %s", e, g, w)
				}
			}
		})
	}
	if d := (PollSchedule{}).withDefaults(); d.Fast != 2500*time.Millisecond || d.FastFor != 12*time.Second || d.Slow != 5*time.Second {
		t.Errorf("the default schedule is %+v, want the SDK's 2.5s for 12s, then 5s", d)
	}
	if d := (PollSchedule{Fast: 8 * time.Second}).withDefaults(); d.Slow != 8*time.Second {
		t.Errorf("a fast interval of 8s leaves the slow one at %s, want 8s (never faster than fast)", d.Slow)
	}
}
