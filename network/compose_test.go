package network_test

import (
	"os/exec"
	"slices"
	"testing"

	"github.com/efa-marktplatz/registry/network"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// docker-compose.yaml describes the native topology for operators who run
// Docker. Debian's docker-compose validates it (no Docker engine is needed
// for that), and every node of the native network has its service.
func TestComposeFileDescribesTheNativeTopology(t *testing.T) {
	out, err := exec.Command("docker-compose", "-f", "../docker-compose.yaml", "config").CombinedOutput()
	require.NoError(t, err, "docker-compose config (install Debian's docker-compose package): %s", out)
	var compose struct {
		Services map[string]struct {
			Build struct {
				Dockerfile string `yaml:"dockerfile"`
				Target     string `yaml:"target"`
			} `yaml:"build"`
		} `yaml:"services"`
	}
	require.NoError(t, yaml.Unmarshal(out, &compose))

	n, err := network.New(network.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	var want []string
	for _, nd := range n.Nodes() {
		want = append(want, nd.Name)
		svc, ok := compose.Services[nd.Name]
		require.True(t, ok, "no service for %s", nd.Name)
		require.Equal(t, "network/Dockerfile", svc.Build.Dockerfile, nd.Name)
		target := "fabric"
		if nd.Kind == "chaincode" {
			target = "chaincode"
		}
		require.Equal(t, target, svc.Build.Target, nd.Name)
	}
	var jobs []string
	for name := range compose.Services {
		if !slices.Contains(want, name) {
			jobs = append(jobs, name)
		}
	}
	slices.Sort(jobs)
	require.Equal(t, []string{"channel", "crypto"}, jobs, "besides the nodes, only the set-up jobs")
}
