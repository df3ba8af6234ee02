// Package xsdtest checks XML documents against the OASIS UBL 2.1 schemas
// in tests, with xrechnung/testdata/validate-xsd (xmllint; the script
// installs Debian's libxml2-utils when it runs as root and xmllint is
// missing). It never skips: a check that cannot run fails the test.
package xsdtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// script is validate-xsd, found beside this package's source.
func script(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok, "xsdtest: cannot locate its source")
	path, err := filepath.Abs(filepath.Join(filepath.Dir(file), "..", "..", "xrechnung", "testdata", "validate-xsd"))
	require.NoError(t, err)
	return path
}

// Write writes documents into a fresh temporary directory, name.xml each,
// and returns their paths.
func Write(t testing.TB, docs map[string][]byte) []string {
	t.Helper()
	dir := t.TempDir()
	paths := make([]string, 0, len(docs))
	for name, doc := range docs {
		p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".xml")
		require.NoError(t, os.WriteFile(p, doc, 0o644))
		paths = append(paths, p)
	}
	return paths
}

// RequireValid runs validate-xsd once on all files and fails unless every
// one is valid against the UBL 2.1 schemas.
func RequireValid(t testing.TB, paths []string) {
	t.Helper()
	require.NotEmpty(t, paths)
	s := script(t)
	out, err := exec.Command(s, paths...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 2:
		t.Fatalf("XSD validation could not run (xmllint missing and libxml2-utils not installable?): %v\n%s", err, out)
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		t.Fatalf("documents are not valid against the UBL 2.1 schemas:\n%s", invalid(string(out)))
	default:
		t.Fatalf("running %s: %v\n%s", s, err, out)
	}
	require.Equal(t, len(paths), strings.Count(string(out), ": VALID ("), "every file must be reported valid:\n%s", out)
}

// invalid keeps the lines of validate-xsd output that report no valid file.
func invalid(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, ": VALID (") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
