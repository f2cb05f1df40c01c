//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// baselineArg makes the scale binary the floor it measures against;
// baselineCreateArg the floor of the create run.
const (
	baselineArg       = "-baseline-child"
	baselineCreateArg = "-baseline-create-child"
)

// parseShape reads "N:P".
func parseShape(shape string) (n, p int, err error) {
	nStr, pStr, _ := strings.Cut(shape, ":")
	if n, err = strconv.Atoi(nStr); err != nil {
		return 0, 0, err
	}
	if p, err = strconv.Atoi(pStr); err != nil {
		return 0, 0, err
	}
	return n, p, nil
}

// baselineCreate is the minimal client of the create run: for each of n
// new tasks, at the given parallelism, it creates the task (POST
// /image/generate), reads its status until it is done, reads the full
// task, checks that its images succeeded, and downloads them. Against the
// emulator with no delay that is the four requests apply makes per task.
func baselineCreate(base, shape string) error {
	n, p, err := parseShape(shape)
	if err != nil {
		return err
	}
	key := os.Getenv("MYNTH_API_KEY")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: p, MaxConnsPerHost: p}}
	call := func(method, url string, body []byte, v any) error {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %d %v: %.200s", method, url, resp.StatusCode, err, b)
		}
		if v == nil {
			return nil
		}
		return json.Unmarshal(b, v)
	}
	one := func(i int) error {
		body, err := json.Marshal(map[string]any{"prompt": newPrompt(i), "model": scaleModel, "size": createSize, "count": 1})
		if err != nil {
			return err
		}
		var created struct {
			TaskID string `json:"taskId"`
			Data   struct {
				TaskID string `json:"taskId"`
			} `json:"data"`
		}
		if err := call(http.MethodPost, base+"/image/generate", body, &created); err != nil {
			return err
		}
		id := created.TaskID
		if id == "" {
			id = created.Data.TaskID
		}
		for {
			var st struct {
				Status string `json:"status"`
			}
			if err := call(http.MethodGet, base+"/tasks/"+id+"/status", nil, &st); err != nil {
				return err
			}
			if st.Status == "completed" || st.Status == "failed" {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		var t struct {
			Status string `json:"status"`
			Result struct {
				Images []struct {
					Status string `json:"status"`
					URL    string `json:"url"`
				} `json:"images"`
			} `json:"result"`
		}
		if err := call(http.MethodGet, base+"/tasks/"+id, nil, &t); err != nil {
			return err
		}
		if t.Status != "completed" || len(t.Result.Images) == 0 {
			return fmt.Errorf("task %s: %s with %d images", id, t.Status, len(t.Result.Images))
		}
		for _, img := range t.Result.Images {
			if img.Status != "succeeded" {
				return fmt.Errorf("task %s: an image %s", id, img.Status)
			}
			u := img.URL
			if strings.HasPrefix(u, "/") {
				u = base + u
			}
			if err := call(http.MethodGet, u, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}
	return forEach(n, p, one)
}

// forEach runs do(0) … do(n-1), p at a time, and returns the first error.
func forEach(n, p int, do func(int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p)
	for range p {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// baseline is the minimal client: it reads every seeded task with
// GET /tasks/:id at the given parallelism, decodes what plan needs and
// checks it as plan does (completed, the prompt and model the spec asks
// for, every image succeeded). It is what any tool must at least spend, so
// mynthform's figures are divided by its own in the same run.
// shape is "N:P".
func baseline(base, shape string) error {
	n, p, err := parseShape(shape)
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
	var bad atomic.Int64
	read := func(i int) error {
		req, err := http.NewRequest(http.MethodGet, base+"/tasks/"+taskID(i), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d %v", taskID(i), resp.StatusCode, err)
		}
		var t task
		if err := json.Unmarshal(body, &t); err != nil {
			return err
		}
		ok := t.Status == "completed" && t.Request.Prompt == prompt(i) && t.Request.Model == scaleModel
		for _, img := range t.Result.Images {
			ok = ok && img.Status == "succeeded"
		}
		if !ok {
			bad.Add(1)
		}
		return nil
	}
	if err := forEach(n, p, read); err != nil {
		return err
	}
	if bad.Load() != 0 {
		return fmt.Errorf("%d of %d tasks did not match", bad.Load(), n)
	}
	return nil
}
