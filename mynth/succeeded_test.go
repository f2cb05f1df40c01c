package mynth

import "testing"

// SucceededCount must count what Succeeded returns, for every mix of
// statuses and for a nil result.
func TestSucceededCountIsLenSucceeded(t *testing.T) {
	results := []*Result{
		nil,
		{},
		{Images: []Image{{Status: ImageSucceeded}}},
		{Images: []Image{{Status: ImageFailed}, {Status: ImageSucceeded}, {Status: ""}, {Status: ImageSucceeded}}},
		{Images: []Image{{Status: ImageFailed}}},
	}
	for i, r := range results {
		if got, want := r.SucceededCount(), len(r.Succeeded()); got != want {
			t.Errorf("result %d: SucceededCount() = %d, len(Succeeded()) = %d", i, got, want)
		}
	}
}
