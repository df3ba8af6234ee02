package network

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The compose file of a network in containers is generated from the
// description the native network runs: a service per node with the node's
// own command, a Docker network per organisation and a backbone between
// them, chaincode servers on their organisation's network alone, every port
// published on 127.0.0.1 only. Debian's docker-compose validates it (no
// engine needed).
func TestComposeFileIsGeneratedFromTheTopology(t *testing.T) {
	n, err := New(Config{Dir: t.TempDir(), BasePort: 47000, Containers: true})
	require.NoError(t, err)
	require.NoError(t, n.ensureChaincodeTLS())
	require.NoError(t, n.writeCompose())
	out, err := exec.Command("docker-compose", "-f", n.ComposeFile(), "config").CombinedOutput()
	require.NoError(t, err, "docker-compose config: %s", out)
	// docker-compose config's normalised form.
	var compose struct {
		Services map[string]struct {
			Image         string            `yaml:"image"`
			ContainerName string            `yaml:"container_name"`
			Hostname      string            `yaml:"hostname"`
			Command       []string          `yaml:"command"`
			Environment   map[string]string `yaml:"environment"`
			Volumes       []string          `yaml:"volumes"`
			Ports         []string          `yaml:"ports"`
			Networks      map[string]any    `yaml:"networks"`
		} `yaml:"services"`
		Networks map[string]any `yaml:"networks"`
	}
	require.NoError(t, yaml.Unmarshal(out, &compose))

	require.ElementsMatch(t, []string{"backbone", "cooperative", "dataport", "akdb", "regioit"}, keys(compose.Networks))
	var names []string
	for _, nd := range n.Nodes() {
		names = append(names, nd.Name)
		svc, ok := compose.Services[nd.Name]
		require.True(t, ok, "no service for %s", nd.Name)
		require.Equal(t, nd.Name, svc.Hostname)
		require.Equal(t, nd.Name, svc.ContainerName)
		require.Contains(t, svc.Volumes, n.Dir()+":"+n.Dir()+":rw", "the network's directory, at the same path")
		argv, env, err := n.process(nd)
		require.NoError(t, err)
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			require.Equal(t, v, svc.Environment[k], "%s: %s", nd.Name, k)
		}
		switch nd.Kind {
		case "api":
			require.Equal(t, APIImage, svc.Image)
			require.Equal(t, argv[1:], svc.Command, "the image's entrypoint is registry-api")
			require.Contains(t, argv, "--fabric-within")
			require.ElementsMatch(t, []string{orgNetwork(nd.Org), backbone}, keys(svc.Networks))
		case "chaincode":
			require.Equal(t, ChaincodeImage, svc.Image)
			require.Equal(t, argv[1:], svc.Command)
			require.Equal(t, []string{orgNetwork(nd.Org)}, keys(svc.Networks), "a chaincode server is reachable by its org's peer only")
			require.Contains(t, env, "CHAINCODE_SERVER_ADDRESS=0.0.0.0:"+itoa(nd.Port))
		default:
			require.Equal(t, argv, svc.Command)
			require.ElementsMatch(t, []string{orgNetwork(nd.Org), backbone}, keys(svc.Networks))
		}
		var want []string
		for _, p := range nd.ports() {
			want = append(want, "127.0.0.1:"+itoa(p)+":"+itoa(p)+"/tcp")
		}
		require.ElementsMatch(t, want, svc.Ports, "%s: published on 127.0.0.1 only", nd.Name)
	}
	require.ElementsMatch(t, names, keys(compose.Services), "a service per node, no more")
	require.Len(t, n.APIs(), len(Members), "a registry-api per member org")

	// Nodes reach each other by host name.
	p := n.Peers()[0]
	require.Equal(t, p.Name+":"+itoa(p.Port), n.Endpoint(p, p.Port))
	require.Equal(t, "0.0.0.0:"+itoa(p.Port), n.listen(p.Port))
	native, err := New(Config{Dir: t.TempDir(), BasePort: 47000})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:"+itoa(p.Port), native.Endpoint(p, p.Port))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
