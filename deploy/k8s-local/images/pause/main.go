// A stand-in for registry.k8s.io/pause, the image of every pod sandbox: it holds the pod's
// namespaces open, reaps the zombies of a shared PID namespace, and exits on SIGINT or SIGTERM.
// Built static (CGO_ENABLED=0) by devstack/kube.py and packed FROM scratch, as /pause.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var status syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
