package mynthtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// reply is one answer, read with plain net/http.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// call sends one request with an optional bearer token and JSON body.
func call(t testing.TB, method, url, token, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// created creates a task and returns its id and PAT ("" when not asked).
func created(t testing.TB, base, key, body string) (id, pat string) {
	t.Helper()
	id, pat, err := tryCreate(base, key, body)
	if err != nil {
		t.Fatal(err)
	}
	return id, pat
}

// tryCreate is created for goroutines other than the test's.
func tryCreate(base, key, body string) (id, pat string, err error) {
	r, err := rawCall("POST", base+"/image/generate", key, body)
	if err != nil {
		return "", "", err
	}
	if r.Status != http.StatusCreated {
		return "", "", fmt.Errorf("creating a task: %d %s", r.Status, r.Body)
	}
	var out struct {
		TaskID string `json:"taskId"`
		Access struct {
			PublicAccessToken string `json:"publicAccessToken"`
		} `json:"access"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return "", "", fmt.Errorf("creation answer %s: %w", r.Body, err)
	}
	return out.TaskID, out.Access.PublicAccessToken, nil
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "URL"},
	{regexp.MustCompile(`tsk_[0-9A-HJKMNP-TV-Z]{26}`), "tsk_ID"},
	{regexp.MustCompile(`img_[0-9A-HJKMNP-TV-Z]{26}`), "img_ID"},
	{regexp.MustCompile(`pat_[0-9A-HJKMNP-TV-Z]{32}`), "pat_TOKEN"},
	{regexp.MustCompile(`upl_[0-9A-HJKMNP-TV-Z]{26}`), "upl_ID"},
	{regexp.MustCompile(`key_[0-9A-HJKMNP-TV-Z]{26}`), "key_ID"},
	{regexp.MustCompile(`usr_[0-9A-HJKMNP-TV-Z]{26}`), "usr_ID"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`), "TIME"},
}

// shape replaces ids, tokens, times and the server's address with
// placeholders and decodes the JSON, so that bodies compare by shape.
func shape(t testing.TB, b []byte) any {
	t.Helper()
	s := string(b)
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return out
}

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	return out
}

// maskErrorText checks that got, a decoded body, is an error in the flat
// form Mynth's official SDK reads (mynthio/mynth-sdk, src/client.ts takes
// the text from "error", else "message", and the code from "code"): error
// and message the same text, not empty. It replaces the text with "*" so
// that the body compares by shape. A body that is not such an error is
// left alone.
func maskErrorText(t testing.TB, got any) {
	t.Helper()
	m, ok := got.(map[string]any)
	if !ok {
		return
	}
	if _, isErr := m["code"]; !isErr {
		if _, isErr = m["error"]; !isErr {
			return
		}
	}
	text, _ := m["error"].(string)
	msg, _ := m["message"].(string)
	if text == "" || text != msg {
		t.Errorf("error body: want error and message the same non-empty text, got error %#v, message %#v", m["error"], m["message"])
		return
	}
	m["error"], m["message"] = "*", "*"
}
