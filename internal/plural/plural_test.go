package plural

import (
	"fmt"
	"testing"
)

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int
		noun string
		want string
	}{
		{0, "task", "0 tasks"},
		{1, "task", "1 task"},
		{2, "failed check", "2 failed checks"},
		{-1, "task", "-1 tasks"},
		{1000000, "image", "1000000 images"},
	} {
		if got := Count(tc.n, tc.noun); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.noun, got, tc.want)
		}
	}
}

func ExampleCount() {
	fmt.Println(Count(1, "task"))
	fmt.Println(Count(3, "image"))
	// Output:
	// 1 task
	// 3 images
}
