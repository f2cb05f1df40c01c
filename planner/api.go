package planner

import (
	"context"
	"io"

	"github.com/mynthform/mynthform/mynth"
)

// API is what the planner needs of Mynth. *mynth.Client satisfies it
// through ClientAPI; tests also use fakes.
type API interface {
	// Task reads the full task with the API key (owner only).
	Task(ctx context.Context, id string) (*mynth.Task, error)
	// Status reads a task's status with the task's PAT, or with the API
	// key when pat is "".
	Status(ctx context.Context, id, pat string) (mynth.Status, error)
	// Results reads a task's images with the task's PAT, or with the API
	// key when pat is "".
	Results(ctx context.Context, id, pat string) (*mynth.Results, error)
	// Generate creates a task. An error wrapping mynth.ErrUnknownOutcome
	// means the request may have reached Mynth: it must not be repeated.
	Generate(ctx context.Context, req mynth.Request) (mynth.Created, error)
	// Upload sends input images (at most mynth.MaxUploadFiles) and
	// returns their URLs, in order.
	Upload(ctx context.Context, files []mynth.UploadFile) ([]string, error)
	// Download copies the image at url to w, refusing more than maxBytes.
	Download(ctx context.Context, url string, w io.Writer, maxBytes int64) (int64, error)
}
