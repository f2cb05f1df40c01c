package mynthtest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mynthform/mynthform/mynth/mynthtest"
)

// Start serves the emulator on a free port; this is what `mynthform
// emulator` and `mynthform --emulator` do. Tests use NewServer instead.
func ExampleStart() {
	run, err := mynthtest.Start("127.0.0.1:0", mynthtest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer run.Close()

	req, _ := http.NewRequest("POST", run.URL+"/image/generate",
		strings.NewReader(`{"prompt":"a ceramic mug [[fail]]"}`))
	req.Header.Set("Authorization", "Bearer mak_example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)

	fmt.Println(run.Emulator.Tasks(), "task")
	// Output:
	// 201 Created
	// 1 task
}

// A fault queued for the next request to one endpoint.
func ExampleFaults() {
	run, err := mynthtest.Start("127.0.0.1:0", mynthtest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer run.Close()

	run.Emulator.SetFaults(mynthtest.Faults{
		Endpoints: map[mynthtest.Endpoint]mynthtest.FaultRule{
			mynthtest.EndpointStatus: {Next: []mynthtest.FaultKind{mynthtest.Fault503}},
		},
	})
	req, _ := http.NewRequest("GET", run.URL+"/tasks/tsk_none/status", nil)
	req.Header.Set("Authorization", "Bearer mak_example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(body)))
	// Output:
	// 503 {"error":"injected fault: service unavailable","message":"injected fault: service unavailable","code":"service_unavailable"}
}
