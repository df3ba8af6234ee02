package dockertest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/efa-marktplatz/registry/internal/apt"
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
	out, err := apt.Install(Packages...)
	if err != nil {
		return fmt.Errorf("dockertest: apt-get %s: %w\n%s", strings.Join(install, " "), err, out)
	}
	if missing := missingTools(); len(missing) > 0 {
		return fmt.Errorf("dockertest: apt-get installed %s, but %s still missing:\n%s", strings.Join(Packages, " "), strings.Join(missing, ", "), out)
	}
	return nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
