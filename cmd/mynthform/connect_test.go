package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/mynthform/mynthform/mynth"
	"github.com/mynthform/mynthform/spec"
)

func TestConnectBaseURLAndKey(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		specURL   string
		wantURL   string
		wantHasKy bool
	}{
		{"default", nil, "", mynth.DefaultBaseURL, false},
		{"mynth block", nil, "http://block.example", "http://block.example", false},
		{"environment wins", map[string]string{"MYNTH_BASE_URL": "http://env.example", "MYNTH_API_KEY": "mak_x"}, "http://block.example", "http://env.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			g := &globals{ctx: context.Background(), stdout: &out, stderr: &out, dir: t.TempDir(),
				getenv: func(k string) string { return tt.env[k] }}
			sp := &spec.Spec{Settings: spec.Settings{BaseURL: tt.specURL}}
			api, hasKey, closeFn, err := connect(g, sp)
			if err != nil {
				t.Fatal(err)
			}
			defer closeFn()
			if got := g.conn.client.BaseURL(); got != tt.wantURL || hasKey != tt.wantHasKy || api == nil {
				t.Errorf("connect: base URL %q, has key %v; want %q, %v", got, hasKey, tt.wantURL, tt.wantHasKy)
			}
			if out.Len() != 0 {
				t.Errorf("connect printed %q", out.String())
			}
			// A second call returns the same connection.
			if api2, _, _, _ := connect(g, sp); api2 != api {
				t.Errorf("a second connect made another connection")
			}
		})
	}
}
