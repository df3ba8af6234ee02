package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// demoParties are the parties the demo registers, each with a key file.
var demoParties = []string{"dataport", "fitko", "govdigital", "hamburg", "land-brandenburg", "land-hessen", "land-mv",
	"stadt-aachen", "stadt-koeln", "stadt-schwerin"}

// requireWholeDemo checks, over HTTP, that a registry serves the whole
// demo, and that every party's key file holds a key the party registered.
func requireWholeDemo(t *testing.T, base, data string) {
	t.Helper()
	var offerings struct{ Items []schema.Offering }
	getJSON(t, base+"/v1/offerings?limit=100", &offerings)
	statuses := map[string]string{}
	for _, o := range offerings.Items {
		statuses[o.Offering] = o.Status
	}
	require.Equal(t, map[string]string{
		"aufenthaltstitel": "PUBLISHED", "digitaler-bauantrag": "PUBLISHED", "fuehrerscheinantrag": "PUBLISHED",
		"mutterschutzmitteilung": "PUBLISHED", "e-akte": "SUBMITTED", "bewohnerparkausweis": "WITHDRAWN",
		"aufenthaltskarten": "PUBLISHED",
	}, statuses)
	var agreements struct{ Items []schema.Agreement }
	getJSON(t, base+"/v1/agreements?limit=100", &agreements)
	byID := map[string]string{}
	for _, a := range agreements.Items {
		byID[a.ID] = a.Status
	}
	require.Equal(t, map[string]string{
		"koeln-bauantrag": "CONCLUDED", "koeln-bauantrag-bezirk-porz": "CONCLUDED", "aachen-bauantrag": "APPROVED",
		"schwerin-bauantrag": "FEES_ENTERED", "hamburg-aufenthaltstitel": "INTEREST", "koeln-aufenthaltstitel": "FEE_CHANGE_PENDING",
		"hamburg-fuehrerschein": "TERMINATED", "hamburg-mutterschutz": "CONCLUDED",
		"koeln-aufenthaltskarten": "CONCLUDED", "aachen-aufenthaltskarten": "CONCLUDED", "schwerin-aufenthaltskarten": "TERMINATED",
		"hamburg-aufenthaltskarten": "CONCLUDED",
	}, byID)

	entries, err := os.ReadDir(filepath.Join(data, "demo-keys"))
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		files = append(files, e.Name())
	}
	var want []string
	for _, p := range demoParties {
		want = append(want, p+".key")
	}
	sort.Strings(files)
	require.Equal(t, want, files, "a key file for every party, and nothing else")
	for _, id := range demoParties {
		raw, err := os.ReadFile(filepath.Join(data, "demo-keys", id+".key"))
		require.NoError(t, err)
		key, err := crypto.HexToECDSA(strings.TrimSpace(string(raw)))
		require.NoError(t, err)
		var party schema.Party
		getJSON(t, base+"/v1/parties/"+id, &party)
		address := crypto.PubkeyToAddress(key.PublicKey).Hex()
		require.True(t, slices.ContainsFunc(party.Keys, func(k schema.Key) bool { return k.Address == address }),
			"the key file of %s holds a key the party registered", id)
	}
	for _, aside := range []string{"ledger.seeding", "demo-keys.seeding"} {
		require.NoDirExists(t, filepath.Join(data, aside))
	}
}

// keyFiles counts the key files a seed has written so far.
func keyFiles(data string) int {
	n := 0
	for _, dir := range []string{"demo-keys.seeding", "demo-keys"} {
		entries, _ := os.ReadDir(filepath.Join(data, dir))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".key") && !strings.HasPrefix(e.Name(), ".") {
				n++
			}
		}
	}
	return n
}

// The first --demo start is killed (SIGKILL) at points of its seeding; the
// second start on the same data completes the demo — every party with the
// key its key file holds — and serves it.
func TestKilledDemoSeedIsSeededAgain(t *testing.T) {
	type point struct {
		name string
		now  func(p *process, data string, start time.Time) bool
	}
	logged := func(msg string) func(*process, string, time.Time) bool {
		return func(p *process, _ string, _ time.Time) bool { _, ok := p.logged(msg); return ok }
	}
	keys := func(n int) func(*process, string, time.Time) bool {
		return func(_ *process, data string, _ time.Time) bool { return keyFiles(data) >= n }
	}
	// after is a point in time after the process started.
	after := func(d time.Duration) func(*process, string, time.Time) bool {
		return func(_ *process, _ string, start time.Time) bool { return time.Since(start) >= d }
	}
	// seeding is a point in time after the seed began.
	seeding := func(d time.Duration) func(*process, string, time.Time) bool {
		return func(p *process, _ string, _ time.Time) bool {
			entry, ok := p.logged("demo: seeding")
			if !ok {
				return false
			}
			at, err := time.Parse(time.RFC3339Nano, entry["time"].(string))
			return err == nil && time.Since(at) >= d
		}
	}
	points := []point{
		{"as the seed begins", logged("demo: seeding")},
		{"after the first key file", keys(1)},
		{"after six key files", keys(6)},
		{"once the parties are registered", logged("demo: parties registered")},
		{"once the offerings are published", logged("demo: offerings and price models published")},
		{"once the agreements are made", logged("demo: agreements made")},
		{"25 ms into the seed", seeding(25 * time.Millisecond)},
		{"75 ms into the seed", seeding(75 * time.Millisecond)},
		{"125 ms into the seed", seeding(125 * time.Millisecond)},
		{"175 ms into the seed", seeding(175 * time.Millisecond)},
		// Points in time after the start, as the runs killed it.
		{"150 ms after the start", after(150 * time.Millisecond)},
		{"300 ms after the start", after(300 * time.Millisecond)},
		{"600 ms after the start", after(600 * time.Millisecond)},
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			first := startProcess(t, "--data", data, "--demo")
			start := time.Now()
			for !pt.now(first, data, start) {
				require.False(t, first.exited(), "the first start exited before the point: %v\n%s", first.err, first.log())
				require.Less(t, time.Since(start), time.Minute, "the point was not reached within a minute:\n%s", first.log())
				time.Sleep(time.Millisecond)
			}
			_, served := first.logged("registry-api serving")
			first.kill()
			t.Logf("killed %s the first start served", map[bool]string{false: "before", true: "after"}[served])

			second := startProcess(t, "--data", data, "--demo")
			base := second.serving()
			requireWholeDemo(t, base, data)
			second.stop()
		})
	}
}

// --demo seeds a new data directory only: a ledger without the demo is
// refused (exit 1, saying why and what to do), and so is --demo with Fabric.
func TestDemoRefusals(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	plain := startProcess(t, "--data", data)
	plain.serving()
	plain.stop()

	demo := startProcess(t, "--data", data, "--demo")
	require.Equal(t, 1, demo.wait(), demo.log())
	require.Contains(t, demo.log(), "holds no demo data; --demo seeds only a new data directory")

	fabric := startProcess(t, "--backend", "fabric", "--demo")
	require.Equal(t, 2, fabric.wait(), fabric.log())
	require.Contains(t, fabric.log(), "--demo (or REGISTRY_DEMO) seeds the embedded ledger only and cannot be used with --backend fabric")
}

func TestDemoWithFabricIsRefused(t *testing.T) {
	_, err := parse([]string{"--backend", "fabric", "--demo"})
	require.ErrorContains(t, err, "cannot be used with --backend fabric")
	t.Setenv("REGISTRY_DEMO", "true")
	_, err = parse([]string{"--backend", "fabric"})
	require.ErrorContains(t, err, "cannot be used with --backend fabric")
	cfg, err := parse([]string{"--backend", "fabric", "--demo=false"})
	require.NoError(t, err)
	require.False(t, cfg.demo)
}

// getStatus is the status of a GET.
func getStatus(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	status, body := call(t, http.MethodGet, url, "", nil)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return status, out
}

// --trusted-proxies (and REGISTRY_TRUSTED_PROXIES) names the proxies whose
// X-Forwarded-For is believed; by default none is, and the access log
// records the peer.
func TestTrustedProxiesFlag(t *testing.T) {
	forwarded := func(args ...string) string {
		t.Helper()
		p := startProcess(t, append([]string{"--data", filepath.Join(t.TempDir(), "data")}, args...)...)
		base := p.serving()
		req, err := http.NewRequest(http.MethodGet, base+"/healthz", nil)
		require.NoError(t, err)
		req.Header.Set("X-Forwarded-For", "203.0.113.9")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		entry := p.await("request")
		p.stop()
		return entry["client"].(string)
	}
	require.Equal(t, "127.0.0.1", forwarded(), "forwarded headers from an untrusted peer are ignored")
	require.Equal(t, "203.0.113.9", forwarded("--trusted-proxies", "10.0.0.0/8, 127.0.0.1"))

	t.Setenv("REGISTRY_TRUSTED_PROXIES", "127.0.0.1/32")
	cfg, err := parse(nil)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1/32"}, list(cfg.trustedProxies))

	p := startProcess(t, "--data", filepath.Join(t.TempDir(), "data"), "--trusted-proxies", "not-an-address")
	require.Equal(t, 1, p.wait())
	require.Contains(t, p.log(), "trusted proxies")
}
