// Package apt installs Debian packages that tests and make targets need
// (Chromium for the browser tests, Docker for the network in containers),
// with apt-get, non-interactively, waiting out other apt runs.
package apt

import (
	"os"
	"os/exec"
	"strings"
	"time"
)

// Install runs apt-get install -y for the packages; when apt knows none of
// them yet, it runs apt-get update and tries again. It returns apt-get's
// output, which callers put in their errors.
func Install(packages ...string) ([]byte, error) {
	args := append([]string{"install", "-y"}, packages...)
	out, err := Get(args...)
	if err != nil && LacksPackage(out) {
		if upd, uerr := Get("update"); uerr != nil {
			return upd, uerr
		}
		out, err = Get(args...)
	}
	return out, err
}

// Get runs apt-get non-interactively. It waits up to ten minutes for apt's
// lock, and tries again while another apt holds a lock that
// DPkg::Lock::Timeout does not cover (the lists' lock of apt-get update).
func Get(args ...string) ([]byte, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=600"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err == nil || !Locked(out) || time.Now().After(deadline) {
			return out, err
		}
		time.Sleep(2 * time.Second)
	}
}

// LacksPackage tells from apt-get install's output whether apt has no
// candidate for a package, which apt-get update can give it.
func LacksPackage(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "Unable to locate package") ||
		strings.Contains(s, "has no installation candidate") ||
		strings.Contains(s, "is not available, but is referred to")
}

// Locked tells from apt-get's output whether it gave up on a lock.
func Locked(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "Could not get lock") || strings.Contains(s, "Unable to lock") ||
		strings.Contains(s, "Unable to acquire the dpkg frontend lock")
}
