package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// closedURL is the URL of a port on 127.0.0.1 nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	return url
}

// The API is --api, else $REGISTRY_API, else the default; a command that
// cannot reach it says which URL it tried, and from where.
func TestAPIFromFlagOrEnvironment(t *testing.T) {
	dir, url := demoAPI(t)
	ctx := context.Background()
	var out bytes.Buffer
	file := filepath.Join(dir, "koeln.proof.json")
	export := []string{"proof", "export", "--agreement", "koeln-bauantrag", "--out", file}

	t.Setenv(apiEnv, url)
	require.NoError(t, run(ctx, export, &out), "the API from $REGISTRY_API")
	require.FileExists(t, file)

	closed := closedURL(t)
	err := run(ctx, append(export, "--api", closed), &out)
	require.ErrorContains(t, err, "cannot reach the registry API at "+closed+" (from --api", "the flag wins")

	t.Setenv(apiEnv, closed)
	err = run(ctx, export, &out)
	require.ErrorContains(t, err, "cannot reach the registry API at "+closed+" (from $REGISTRY_API")
	require.NoError(t, run(ctx, append(export, "--api", url), &out), "the flag wins")

	key := filepath.Join(dir, "k.key")
	require.NoError(t, run(ctx, []string{"keys", "new", "--out", key}, &out))
	err = run(ctx, []string{"act", "--key", key, "--type", "PlaceOrder", "--message", `{"agreement":"a","termsHash":"0x00"}`}, &out)
	require.ErrorContains(t, err, "cannot reach the registry API at "+closed+" (from $REGISTRY_API")

	t.Setenv(apiEnv, "")
	require.NoError(t, os.Unsetenv(apiEnv))
	fs := newFlagSetWithAPI(t, nil)
	require.Equal(t, defaultAPI, fs.url)
	require.Equal(t, "the default", fs.from)
}

func newFlagSetWithAPI(t *testing.T, args []string) *apiTarget {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	a := apiFlag(fs)
	require.NoError(t, fs.Parse(args))
	a.resolve(fs)
	return a
}

// verify's report fits 100 columns; --wide prints one line per check with
// ids and hashes in full.
func TestVerifyFitsOneHundredColumns(t *testing.T) {
	dir, url := demoAPI(t)
	ctx := context.Background()
	var out bytes.Buffer
	roots := filepath.Join(dir, "roots")
	require.NoError(t, run(ctx, []string{"proof", "roots", "--data", dir, "--out", roots}, &out))
	file := filepath.Join(dir, "koeln.proof.json")
	require.NoError(t, run(ctx, []string{"proof", "export", "--api", url, "--agreement", "koeln-bauantrag", "--out", file}, &out))
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	tampered := filepath.Join(dir, "tampered.proof.json")
	require.NoError(t, os.WriteFile(tampered, bytes.Replace(raw, []byte(`"annualFee": "1200000"`), []byte(`"annualFee": "1200001"`), 1), 0o644))
	require.NotEqual(t, raw, mustRead(t, tampered), "the tamper changed the bundle")

	for _, bundle := range []string{file, tampered} {
		out.Reset()
		_ = run(ctx, []string{"verify", "--roots", roots, bundle}, &out)
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		require.Greater(t, len(lines), 20)
		for _, line := range lines {
			require.LessOrEqual(t, utf8.RuneCountInString(line), 100, "%q", line)
		}
		require.Contains(t, out.String(), "record written:")

		out.Reset()
		_ = run(ctx, []string{"verify", "--wide", "--roots", roots, bundle}, &out)
		wide := 0
		for _, line := range strings.Split(out.String(), "\n") {
			wide = max(wide, utf8.RuneCountInString(line))
		}
		require.Greater(t, wide, 100, "--wide is the wide form")
		require.Regexp(t, `tx [0-9a-f]{64} in block`, out.String(), "--wide has transaction ids in full")
	}
	out.Reset()
	require.Error(t, run(ctx, []string{"verify", "--roots", roots, tampered}, &out))
	require.Contains(t, out.String(), "FAIL  record written:")
	require.Contains(t, out.String(), "first broken link: record written of")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		prefix, text string
		width        int
		want         string
	}{
		{"ok    ", "check: subject", 100, "ok    check: subject\n"},
		{"", "aaa bbb ccc", 7, "aaa bbb\n  ccc\n"},
		{"- ", "abcdefghij", 6, "- abcd\n  efgh\n  ij\n"},
		{"", "", 10, "\n"},
		{"", "äöü äöü", 3, "äöü\n  ä\n  ö\n  ü\n"},
	} {
		require.Equal(t, c.want, wrap(c.prefix, c.text, c.width, "  "), "%q", c.text)
	}
	require.Equal(t, "tx 0222a4b0e4af… in block 1, 0xabcdefabcdef…, 0x9355A22495D815c20AD3604D8E005083ac13857a",
		shorten("tx 0222a4b0e4afbafdff6b3b1232151c1c058cb7403aa323c5f65b1507f8f14b04 in block 1, "+
			"0xabcdefabcdef"+strings.Repeat("0", 52)+", 0x9355A22495D815c20AD3604D8E005083ac13857a"))
}
