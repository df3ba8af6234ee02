package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/stretchr/testify/require"
)

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, body)
	require.NoError(t, json.Unmarshal(body, out))
}

// start runs the server on an ephemeral 127.0.0.1 port until the test ends.
func start(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	cfg, err := parse(append(args, "--listen", "127.0.0.1:0"))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), ready) }()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("the server did not start: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the server did not start within a minute")
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			return context.DeadlineExceeded
		}
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

// --demo seeds a realistic registry on first start, with agreements in
// every state; SIGTERM (a cancelled context) shuts the server down cleanly,
// and a restart keeps the data without seeding twice.
func TestDemoAndGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	base, stop := start(t, "--data", data, "--demo")

	var ready struct{ Height schema.Uint }
	getJSON(t, base+"/readyz", &ready)
	require.Positive(t, ready.Height)

	var offerings struct{ Items []schema.Offering }
	getJSON(t, base+"/v1/offerings?limit=100", &offerings)
	titles := map[string]string{}
	for _, o := range offerings.Items {
		titles[o.Offering] = o.Status
	}
	require.Equal(t, map[string]string{
		"aufenthaltstitel": "PUBLISHED", "digitaler-bauantrag": "PUBLISHED", "fuehrerscheinantrag": "PUBLISHED",
		"mutterschutzmitteilung": "PUBLISHED", "e-akte": "SUBMITTED", "bewohnerparkausweis": "WITHDRAWN",
		"aufenthaltskarten": "PUBLISHED",
	}, titles)

	for _, status := range []string{"INTEREST", "FEES_ENTERED", "APPROVED", "CONCLUDED", "FEE_CHANGE_PENDING", "TERMINATED"} {
		var page struct{ Items []schema.Agreement }
		getJSON(t, base+"/v1/agreements?status="+status, &page)
		require.NotEmpty(t, page.Items, "an agreement in state %s", status)
	}
	var koeln schema.Party
	getJSON(t, base+"/v1/parties/stadt-koeln", &koeln)
	require.Equal(t, "053150000000", koeln.ARS)
	var pm schema.PriceModel
	getJSON(t, base+"/v1/offerings/digitaler-bauantrag/price-models/1", &pm)
	require.Contains(t, pm.ScopeOfUse, "SAMPLE FIGURES")

	fi, err := os.Stat(filepath.Join(data, "admin-token"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the generated member token is private")
	_, err = os.Stat(filepath.Join(data, "demo-keys", "stadt-koeln.key"))
	require.NoError(t, err)

	var all struct{ Items []schema.Agreement }
	getJSON(t, base+"/v1/agreements?limit=100", &all)
	require.NoError(t, stop(), "a clean shutdown")

	base, _ = start(t, "--data", data, "--demo")
	var again struct{ Items []schema.Agreement }
	getJSON(t, base+"/v1/agreements?limit=100", &again)
	require.Len(t, again.Items, len(all.Items), "the demo is seeded once")
}

func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("REGISTRY_LISTEN", "127.0.0.1:9999")
	t.Setenv("REGISTRY_DEMO", "true")
	cfg, err := parse(nil)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", cfg.listen)
	require.True(t, cfg.demo)
	require.Equal(t, "embedded", cfg.backend)
	cfg, err = parse([]string{"--listen", "127.0.0.1:1"})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1", cfg.listen, "a flag beats the environment")
	_, err = parse([]string{"--backend", "postgres"})
	require.Error(t, err)

	t.Setenv("REGISTRY_ACTS_PER_SECOND", "250")
	t.Setenv("REGISTRY_DEMO", "1")
	cfg, err = parse(nil)
	require.NoError(t, err)
	require.InDelta(t, 250, cfg.actsPerSecond, 0)
	require.True(t, cfg.demo)

	for name, value := range map[string]string{"REGISTRY_ACTS_PER_SECOND": "fast", "REGISTRY_DEMO": "yes please"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, value)
			_, err := parse(nil)
			require.ErrorContains(t, err, name, "a malformed variable is named")
		})
	}
}

// --pprof-listen serves the Go profiles on a listener of their own, never
// through the API's address, and stops serving them with the process.
func TestProfilesServeApart(t *testing.T) {
	base, _ := start(t, "--data", t.TempDir())
	resp, err := http.Get(base + "/debug/pprof/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "the API does not serve profiles")

	ctx, cancel := context.WithCancel(context.Background())
	addr, err := serveProfiles(ctx, "127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	resp, err = http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), "goroutine profile")
	resp, err = http.Get("http://" + addr + "/debug/pprof/cmdline")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "the command line, which may hold the member token, is not served")

	cancel()
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", addr, time.Second)
		return err != nil
	}, 10*time.Second, 50*time.Millisecond, "the profiles stop with the process")

	_, err = serveProfiles(context.Background(), "127.0.0.1:-1", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.ErrorContains(t, err, "--pprof-listen", "a bad address names the flag")
}
