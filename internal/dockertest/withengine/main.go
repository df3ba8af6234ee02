// Command withengine runs a command with a Docker engine, as
// dockertest.Engine gives a test one: it installs the Docker tools when
// missing, starts `dockerd --storage-driver=vfs` when no engine answers,
// runs the command, and then, if it was the last user of an engine that
// dockertest started, stops it. `make images` and `make test-images` run
// their docker commands under it:
//
//	go run ./internal/dockertest/withengine sh -c 'docker build ...'
//
// It exits with the command's status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/efa-marktplatz/registry/internal/dockertest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withengine COMMAND [ARG...]")
		os.Exit(2)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	lease, err := dockertest.Acquire(logf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withengine:", err)
		os.Exit(1)
	}
	// ^C reaches the command too (one process group): wait for it to end,
	// then release the engine. (Caught, not ignored: the command inherits
	// ignored signals.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	status := 0
	if err := cmd.Run(); err != nil {
		status = 1
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			status = exit.ExitCode()
		} else {
			fmt.Fprintln(os.Stderr, "withengine:", err)
		}
	}
	if err := lease.Release(); err != nil {
		fmt.Fprintln(os.Stderr, "withengine:", err)
		if status == 0 {
			status = 1
		}
	}
	os.Exit(status)
}
