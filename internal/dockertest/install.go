package dockertest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// sbin is where Debian installs dockerd, which a PATH without the sbin
// directories does not find.
const sbin = "/usr/sbin"

// lookTool finds one of the Tools on PATH (dockerd in /usr/sbin too).
func lookTool(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	if p := sbin + "/" + name; isExecutable(p) {
		return p, nil
	}
	return "", fmt.Errorf("dockertest: %s is not installed: %w", name, err)
}

func missingTools() []string {
	var missing []string
	for _, name := range Tools {
		if _, err := lookTool(name); err != nil {
			missing = append(missing, name)
		}
	}
	return missing
}

// EnsureTools installs Debian's docker.io and docker-compose with apt-get
// when docker, dockerd or docker-compose is missing, under an exclusive
// flock so that test binaries that run at once install them once. The
// error carries apt-get's output.
func EnsureTools(logf func(format string, args ...any)) error {
	if len(missingTools()) == 0 {
		return nil
	}
	s := state{dir: StateDir, logf: logf}
	lock, err := s.lock("install.lock", syscall.LOCK_EX)
	if err != nil {
		return err
	}
	defer lock.Close()
	missing := missingTools()
	if len(missing) == 0 {
		return nil // another process installed them while this one waited
	}
	install := append([]string{"install", "-y"}, Packages...)
	logf("dockertest: %s missing: apt-get %s", strings.Join(missing, ", "), strings.Join(install, " "))
	out, err := aptGet(install...)
	if err != nil && aptLacksPackage(out) {
		upd, uerr := aptGet("update")
		if uerr != nil {
			return fmt.Errorf("dockertest: apt-get update: %w\n%s", uerr, upd)
		}
		out, err = aptGet(install...)
	}
	if err != nil {
		return fmt.Errorf("dockertest: apt-get %s: %w\n%s", strings.Join(install, " "), err, out)
	}
	if missing := missingTools(); len(missing) > 0 {
		return fmt.Errorf("dockertest: apt-get installed %s, but %s still missing:\n%s", strings.Join(Packages, " "), strings.Join(missing, ", "), out)
	}
	return nil
}

// aptGet runs apt-get non-interactively. It waits up to ten minutes for
// apt's lock, and tries again while another apt holds a lock that
// DPkg::Lock::Timeout does not cover (the lists' lock of apt-get update).
// (As internal/browsertest installs Chromium.)
func aptGet(args ...string) ([]byte, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		cmd := exec.Command("apt-get", append([]string{"-o", "DPkg::Lock::Timeout=600"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err == nil || !aptLocked(out) || time.Now().After(deadline) {
			return out, err
		}
		time.Sleep(2 * time.Second)
	}
}

// aptLacksPackage tells from apt-get install's output whether apt has no
// candidate for a package, which apt-get update can give it.
func aptLacksPackage(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "Unable to locate package") ||
		strings.Contains(s, "has no installation candidate") ||
		strings.Contains(s, "is not available, but is referred to")
}

// aptLocked tells from apt-get's output whether it gave up on a lock.
func aptLocked(out []byte) bool {
	s := string(out)
	return strings.Contains(s, "Could not get lock") || strings.Contains(s, "Unable to lock") ||
		strings.Contains(s, "Unable to acquire the dpkg frontend lock")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
