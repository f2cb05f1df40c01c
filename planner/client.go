package planner

import (
	"context"
	"io"

	"github.com/mynthform/mynthform/mynth"
)

// ClientAPI adapts a *mynth.Client to API. Status and Results given a PAT
// send it instead of the client's token, over the same transport.
type ClientAPI struct{ Client *mynth.Client }

var _ API = ClientAPI{}

func (a ClientAPI) with(pat string) *mynth.Client {
	if pat == "" {
		return a.Client
	}
	return a.Client.WithToken(pat)
}

// Task reads the full task with the API key.
func (a ClientAPI) Task(ctx context.Context, id string) (*mynth.Task, error) {
	return a.Client.Task(ctx, id)
}

// Status reads a task's status with pat, or with the API key when pat is "".
func (a ClientAPI) Status(ctx context.Context, id, pat string) (mynth.Status, error) {
	return a.with(pat).Status(ctx, id)
}

// Results reads a task's images with pat, or with the API key when pat is "".
func (a ClientAPI) Results(ctx context.Context, id, pat string) (*mynth.Results, error) {
	return a.with(pat).Results(ctx, id)
}

// Generate creates a task with the API key.
func (a ClientAPI) Generate(ctx context.Context, req mynth.Request) (mynth.Created, error) {
	return a.Client.Generate(ctx, req)
}

// Upload sends input images with the API key.
func (a ClientAPI) Upload(ctx context.Context, files []mynth.UploadFile) ([]string, error) {
	return a.Client.Upload(ctx, files)
}

// Download copies an image to w.
func (a ClientAPI) Download(ctx context.Context, url string, w io.Writer, maxBytes int64) (int64, error) {
	return a.Client.Download(ctx, url, w, maxBytes)
}
