package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pid returns the PID recorded for a node if that process still runs the
// command it was started with, else 0.
func (n *Network) pid(nd Node) int {
	raw, err := os.ReadFile(n.pidFile(nd))
	if err != nil {
		return 0
	}
	fields := strings.SplitN(strings.TrimSpace(string(raw)), " ", 2)
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0
	}
	// The PID file records the executable; a reused PID runs something
	// else. (Right after exec the command line can still read empty.)
	if len(fields) == 2 && len(cmdline) > 0 && !bytes.HasPrefix(cmdline, []byte(fields[1])) {
		return 0
	}
	if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
			return 0 // a zombie has exited
		}
	}
	return pid
}

// Running reports whether a node's process (or container) is alive.
func (n *Network) Running(nd Node) bool {
	if n.cfg.Containers {
		return containerRunning(nd.Name)
	}
	return n.pid(nd) != 0
}

// start launches a node's process detached from ours (its own session), with
// output to its log file, and records its PID.
func (n *Network) start(nd Node, env []string, name string, args ...string) error {
	if n.cfg.Containers {
		return n.startContainer(context.Background(), nd)
	}
	if n.Running(nd) {
		return nil
	}
	for _, d := range []string{filepath.Dir(n.logFile(nd)), filepath.Dir(n.pidFile(nd))} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	log, err := os.OpenFile(n.logFile(nd), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("network: log of %s: %w", nd.Name, err)
	}
	defer log.Close()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("network: start %s: %w", nd.Name, err)
	}
	record := fmt.Sprintf("%d %s\n", cmd.Process.Pid, name)
	if err := os.WriteFile(n.pidFile(nd), []byte(record), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("network: PID file of %s: %w", nd.Name, err)
	}
	// Reap the child when it exits, so that it does not linger as a zombie
	// while this process lives (tests start and stop nodes).
	go func() { _ = cmd.Wait() }()
	return nil
}

// Stop stops a node's process: SIGTERM, then SIGKILL after the grace period.
func (n *Network) Stop(nd Node, grace time.Duration) error {
	if n.cfg.Containers {
		return n.stopContainer(nd, grace)
	}
	pid := n.pid(nd)
	if pid == 0 {
		return removeIfExists(n.pidFile(nd))
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("network: stop %s: %w", nd.Name, err)
	}
	deadline := time.Now().Add(grace)
	for n.pid(nd) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if pid := n.pid(nd); pid != 0 {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("network: kill %s: %w", nd.Name, err)
		}
		for i := 0; i < 100 && n.pid(nd) != 0; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return removeIfExists(n.pidFile(nd))
}

// Kill stops a node's process at once with SIGKILL, as a crash would.
func (n *Network) Kill(nd Node) error { return n.Stop(nd, 0) }

// waitHealthy polls a node's operations /healthz until it answers 200.
func (n *Network) waitHealthy(ctx context.Context, nd Node) error {
	return n.waitOK(ctx, nd, fmt.Sprintf("http://127.0.0.1:%d/healthz", nd.OperationsPort))
}

// waitReady polls a registry-api's /readyz until it answers 200.
func (n *Network) waitReady(ctx context.Context, nd Node) error {
	return n.waitOK(ctx, nd, fmt.Sprintf("http://127.0.0.1:%d/readyz", nd.Port))
}

// waitOK polls a node's URL until it answers 200.
func (n *Network) waitOK(ctx context.Context, nd Node, url string) error {
	return n.poll(ctx, nd, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answers %d", url, resp.StatusCode)
		}
		return nil
	})
}

// waitListening polls until a TCP port accepts connections.
func (n *Network) waitListening(ctx context.Context, nd Node, port int) error {
	return n.poll(ctx, nd, func() error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// poll retries check until it succeeds, the node dies, or ctx ends.
func (n *Network) poll(ctx context.Context, nd Node, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		if !n.Running(nd) {
			return fmt.Errorf("network: %s exited: %w\n%s", nd.Name, last, n.LogTail(nd, 40))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("network: %s not ready: %w (last: %v)\n%s", nd.Name, ctx.Err(), last, n.LogTail(nd, 40))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last lines of a node's log.
func (n *Network) LogTail(nd Node, lines int) string {
	if n.cfg.Containers {
		return containerLog(nd, lines)
	}
	raw, err := os.ReadFile(n.logFile(nd))
	if err != nil {
		return fmt.Sprintf("(no log for %s: %v)", nd.Name, err)
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return fmt.Sprintf("--- %s (last %d lines of %s)\n%s", nd.Name, len(all), n.logFile(nd), strings.Join(all, "\n"))
}

// Logs returns the tail of every node's log, for failure reports.
func (n *Network) Logs(lines int) string {
	var b strings.Builder
	for _, nd := range n.Nodes() {
		b.WriteString(n.LogTail(nd, lines))
		b.WriteString("\n")
	}
	return b.String()
}
