package api_test

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/efa-marktplatz/registry/api"
	"github.com/efa-marktplatz/registry/internal/fabrictest"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/stretchr/testify/require"
)

var bundleOut = flag.String("bundle-out", "", "BenchmarkVerifyBundle writes the bundles it verifies into this directory")

// BenchmarkVerifyBundle verifies, from the bytes GET …/proof served, the
// bundle of an agreement with 8 acts, on each backend (Fabric with -fabric
// DIR and -tags fabric), and reports its size.
func BenchmarkVerifyBundle(b *testing.B) {
	backends := []struct {
		name string
		new  func(b *testing.B) *harness
	}{{"embedded", func(b *testing.B) *harness { return newEmbedded(b, api.Config{}) }}}
	if fabrictest.Enabled() {
		backends = append(backends, struct {
			name string
			new  func(b *testing.B) *harness
		}{"fabric", func(b *testing.B) *harness { return newFabric(b, api.Config{}) }})
	}
	for _, backend := range backends {
		b.Run(backend.name, func(b *testing.B) {
			h := backend.new(b)
			a := h.scenario().eightActs(h.id("bench"))
			r := h.get(agreementPath(a.ID, "proof"))
			require.Equal(b, http.StatusOK, r.status, "%s", r.body)
			if *bundleOut != "" {
				require.NoError(b, os.MkdirAll(*bundleOut, 0o755))
				require.NoError(b, os.WriteFile(filepath.Join(*bundleOut, backend.name+".proof.json"), r.body, 0o644))
			}
			b.ResetTimer()
			for b.Loop() {
				bundle, err := proof.Read(bytes.NewReader(r.body))
				if err != nil {
					b.Fatal(err)
				}
				if report, _ := proof.Verify(bundle, h.trust); !report.OK {
					b.Fatal(report.FirstFailure)
				}
			}
			b.ReportMetric(float64(len(r.body)), "bundle-bytes")
		})
	}
}
