// The local cluster's smoke-test image (python -m devstack.kube smoke): a static HTTP server on
// the port in $PORT (8080 by default). Built static by devstack/kube.py and packed FROM scratch,
// as /probe. It answers:
//
//	GET /healthz            "ok" (the readiness and liveness probes)
//	GET /resolve?name=NAME  NAME's addresses, one a line, as the pod's resolver finds them
//	GET /get?url=URL        the body of GET URL, fetched from inside the pod
//	GET /                   the pod's host name
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()
	client := &http.Client{Timeout: 5 * time.Second}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	http.HandleFunc("/resolve", func(w http.ResponseWriter, r *http.Request) {
		addresses, err := net.LookupHost(r.URL.Query().Get("name"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintln(w, strings.Join(addresses, "\n"))
	})
	http.HandleFunc("/get", func(w http.ResponseWriter, r *http.Request) {
		response, err := client.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer response.Body.Close()
		w.WriteHeader(response.StatusCode)
		io.Copy(w, response.Body)
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, host) })
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
