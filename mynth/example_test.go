package mynth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// This example creates a task, waits for it like the official SDK, reads
// it back and downloads its image. It runs against the local emulator; to
// talk to Mynth itself, leave BaseURL empty and pass your API key.
func ExampleClient_Task() {
	emu, err := mynthtest.Start("127.0.0.1:0", mynthtest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer emu.Close()

	client := mynth.NewClient(mynth.Options{
		BaseURL: emu.URL,       // "" for https://api.mynth.io
		Token:   "mak_example", // os.Getenv("MYNTH_API_KEY")
	})
	ctx := context.Background()

	created, err := client.Generate(ctx, mynth.Request{
		Prompt: &mynth.Prompt{Positive: "Editorial product photo of a ceramic mug"},
		Size:   &mynth.Size{Preset: "landscape"},
		Count:  2,
	})
	if errors.Is(err, mynth.ErrUnknownOutcome) {
		log.Fatal("the task may exist: look before creating it again: ", err)
	} else if err != nil {
		log.Fatal(err)
	}

	status, err := client.Wait(ctx, created.TaskID, mynth.WaitOptions{})
	if err != nil {
		log.Fatal(err)
	}
	task, err := client.Task(ctx, created.TaskID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", status)
	fmt.Println("model:", task.Result.Model)
	for _, im := range task.Result.Succeeded() {
		n, err := client.Download(ctx, im.URL, io.Discard, 10<<20)
		fmt.Println("image:", im.Size, im.Cost, n > 0, err)
	}
	fmt.Println("total:", task.Result.Total())

	_, err = client.Task(ctx, "tsk_missing")
	var apiErr *mynth.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(errors.Is(err, mynth.ErrNotFound), apiErr.Method, apiErr.Path, apiErr.StatusCode, apiErr.Code)
	}
	// Output:
	// status: completed
	// model: google/gemini-3.1-flash-image
	// image: 1536x1024 0.01250000 true <nil>
	// image: 1536x1024 0.01250000 true <nil>
	// total: 0.02500000
	// true GET /tasks/tsk_missing 404 not_found
}
