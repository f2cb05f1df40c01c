//go:build unix

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// baselineArg makes the scale binary the floor it measures against.
const baselineArg = "-baseline-child"

// baseline is the minimal client: it reads every seeded task with
// GET /tasks/:id at the given parallelism, decodes what plan needs and
// checks it as plan does (completed, the prompt and model the spec asks
// for, every image succeeded). It is what any tool must at least spend, so
// mynthform's figures are divided by its own in the same run.
// shape is "N:P".
func baseline(base, shape string) error {
	nStr, pStr, _ := strings.Cut(shape, ":")
	n, err := strconv.Atoi(nStr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(pStr)
	if err != nil {
		return err
	}
	key := os.Getenv("MYNTH_API_KEY")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: p, MaxConnsPerHost: p}}
	type task struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Request struct {
			Prompt string `json:"prompt"`
			Model  string `json:"model"`
		} `json:"request"`
		Result struct {
			Images []struct {
				Status string `json:"status"`
			} `json:"images"`
		} `json:"result"`
	}
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p)
	for range p {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				req, err := http.NewRequest(http.MethodGet, base+"/tasks/"+taskID(i), nil)
				if err != nil {
					errs <- err
					return
				}
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("GET %s: %d %v", taskID(i), resp.StatusCode, err)
					return
				}
				var t task
				if err := json.Unmarshal(body, &t); err != nil {
					errs <- err
					return
				}
				ok := t.Status == "completed" && t.Request.Prompt == prompt(i) && t.Request.Model == scaleModel
				for _, img := range t.Result.Images {
					ok = ok && img.Status == "succeeded"
				}
				if !ok {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if bad.Load() != 0 {
		return fmt.Errorf("%d of %d tasks did not match", bad.Load(), n)
	}
	return nil
}
