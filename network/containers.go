package network

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// With Config.Containers, every node runs in a container of its own, from
// the images `make images` builds. The compose file is generated into the
// network's directory from the description the native network is made of —
// its nodes, ports, commands and environment — so that the two cannot
// drift. The directory is mounted into every container at the same path, so
// the configuration files, crypto material and chaincode packages name the
// same paths inside and out. Set-up commands (osnadmin, the peer CLI) run
// inside the node they address, as an operator in that data centre would.

// Images of the nodes (make images).
const (
	PeerImage      = "efa-registry/peer:3.1.1"
	OrdererImage   = "efa-registry/orderer:3.1.1"
	ChaincodeImage = "efa-registry/chaincode:latest"
	APIImage       = "efa-registry/registry-api:latest"
)

// backbone is the Docker network between the organisations' data centres:
// orderers, peers and the members' registry-api (which await commits on
// every peer). Each organisation's own network holds its nodes, and a
// member's chaincode servers sit on it alone, reachable by its peer only.
const backbone = "backbone"

// project is the docker-compose project of the network.
func (n *Network) project() string { return fmt.Sprintf("efa-registry-%d", n.cfg.BasePort) }

// ComposeFile is the generated compose file of a network in containers.
func (n *Network) ComposeFile() string { return n.path("docker-compose.yaml") }

// orgNetwork is the Docker network of an organisation.
func orgNetwork(org Org) string { return strings.ToLower(org.Name) }

// process is how a node runs: its command and environment, natively (the
// binaries' cache) or in its container (the image's binaries).
func (n *Network) process(nd Node) (argv, env []string, err error) {
	cfg := "FABRIC_CFG_PATH=" + filepath.Join(n.nodeDir(nd), "config")
	switch nd.Kind {
	case "orderer":
		return []string{n.tool("orderer")}, []string{cfg, logSpec}, nil
	case "peer":
		return []string{n.tool("peer"), "node", "start"}, []string{cfg, logSpec}, nil
	case "chaincode":
		_, id, err := n.ensurePackage(nd)
		if err != nil {
			return nil, nil, err
		}
		tls := n.path("chaincode", "tls")
		env := []string{
			"CHAINCODE_ID=" + id,
			"CHAINCODE_SERVER_ADDRESS=" + n.listen(nd.Port),
			"CHAINCODE_TLS_CERT=" + filepath.Join(tls, nd.Name+".crt"),
			"CHAINCODE_TLS_KEY=" + filepath.Join(tls, nd.Name+".key"),
		}
		server := n.cfg.ChaincodeServer
		if n.cfg.Containers {
			server = []string{"registry-chaincode"}
		}
		if len(server) == 0 {
			return nil, nil, fmt.Errorf("network: no chaincode server command configured")
		}
		return append(append([]string{}, server...), "-contract", nd.Chaincode), env, nil
	case "api":
		return []string{"registry-api", "--backend", "fabric", "--fabric-network", n.cfg.Dir, "--fabric-org", nd.Org.MSPID,
			"--fabric-within", "--listen", n.listen(nd.Port), "--data", n.APIDataDir(nd.Org)}, nil, nil
	}
	return nil, nil, fmt.Errorf("network: unknown node kind %q", nd.Kind)
}

// tool is a Fabric program: its path in the binaries' cache, or its name in
// a container's image.
func (n *Network) tool(name string) string {
	if n.cfg.Containers {
		return name
	}
	return n.bin(name)
}

// cli runs a Fabric command line tool against a node: natively from the
// binaries' cache, in containers inside the node's container.
func (n *Network) cli(ctx context.Context, nd Node, env []string, tool string, args ...string) ([]byte, error) {
	if !n.cfg.Containers {
		return n.output(ctx, env, n.bin(tool), args...)
	}
	argv := []string{"exec"}
	for _, e := range append([]string{"FABRIC_LOGGING_SPEC=warning"}, env...) {
		argv = append(argv, "-e", e)
	}
	argv = append(append(argv, nd.Name, tool), args...)
	cmd := exec.CommandContext(ctx, "docker", argv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("network: %s %s in %s: %w\n%s", tool, strings.Join(args, " "), nd.Name, err, out)
	}
	return out, nil
}

// docker runs a docker command and returns its output.
func docker(ctx context.Context, args ...string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("network: docker %s: %w\n%s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// compose runs docker-compose on the network's compose file.
func (n *Network) compose(ctx context.Context, args ...string) ([]byte, error) {
	argv := append([]string{"-p", n.project(), "-f", n.ComposeFile()}, args...)
	out, err := exec.CommandContext(ctx, "docker-compose", argv...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("network: docker-compose %s: %w\n%s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// containerPID is the host PID of a running container's process, else 0.
func containerPID(name string) int {
	out, err := exec.Command("docker", "inspect", "-f", "{{if .State.Running}}{{.State.Pid}}{{end}}", name).Output()
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return pid
}

// containerRunning reports whether a node's container runs.
func containerRunning(name string) bool {
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", name).Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// ports are a node's ports published on 127.0.0.1.
func (nd Node) ports() []int {
	var out []int
	for _, p := range []int{nd.Port, nd.AdminPort, nd.OperationsPort} {
		if p != 0 {
			out = append(out, p)
		}
	}
	return out
}

// composeService is a service of the generated compose file.
type composeService struct {
	Image         string            `yaml:"image"`
	ContainerName string            `yaml:"container_name"`
	Hostname      string            `yaml:"hostname"`
	Command       []string          `yaml:"command"`
	Environment   map[string]string `yaml:"environment,omitempty"`
	Volumes       []string          `yaml:"volumes"`
	Ports         []string          `yaml:"ports,omitempty"`
	Networks      []string          `yaml:"networks"`
	Restart       string            `yaml:"restart"`
	Labels        map[string]string `yaml:"labels,omitempty"`
}

// writeCompose generates the compose file of the network in containers.
func (n *Network) writeCompose() error {
	services := map[string]composeService{}
	networks := map[string]map[string]any{backbone: {}}
	for _, nd := range n.Nodes() {
		argv, env, err := n.process(nd)
		if err != nil {
			return err
		}
		image := map[string]string{"orderer": OrdererImage, "peer": PeerImage, "chaincode": ChaincodeImage, "api": APIImage}[nd.Kind]
		svc := composeService{
			Image: image, ContainerName: nd.Name, Hostname: nd.Name, Command: argv,
			Environment: map[string]string{},
			Volumes:     []string{n.cfg.Dir + ":" + n.cfg.Dir},
			Networks:    []string{orgNetwork(nd.Org)},
			Restart:     "no",
			Labels:      map[string]string{"efa-registry.node": nd.Kind, "efa-registry.org": nd.Org.MSPID},
		}
		if nd.Kind == "chaincode" || nd.Kind == "api" {
			svc.Command = argv[1:] // the image's entrypoint is the program
		}
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			svc.Environment[k] = v
		}
		if nd.Kind != "chaincode" {
			svc.Networks = append(svc.Networks, backbone)
		}
		// Published on this machine's loopback only (where Up waits for
		// them): no other organisation's container reaches them there.
		for _, p := range nd.ports() {
			svc.Ports = append(svc.Ports, fmt.Sprintf("127.0.0.1:%d:%d", p, p))
		}
		slices.Sort(svc.Networks)
		networks[orgNetwork(nd.Org)] = map[string]any{}
		services[nd.Name] = svc
	}
	return writeYAML(n.ComposeFile(), map[string]any{"version": "2.4", "services": services, "networks": networks})
}

// startContainer starts a node's container, created from the compose file
// when missing or when its service changed (docker-compose leaves one that
// runs as described alone).
func (n *Network) startContainer(ctx context.Context, nd Node) error {
	_, err := n.compose(ctx, "up", "-d", "--no-deps", nd.Name)
	return err
}

// stopContainer stops a node's container: SIGTERM, SIGKILL after grace.
func (n *Network) stopContainer(nd Node, grace time.Duration) error {
	if !containerRunning(nd.Name) {
		return nil
	}
	ctx := context.Background()
	if grace <= 0 {
		_, err := docker(ctx, "kill", nd.Name)
		return err
	}
	_, err := docker(ctx, "stop", "-t", strconv.Itoa(int(grace.Seconds()+0.5)), nd.Name)
	return err
}

// containerLog returns the last lines of a node's container log.
func containerLog(nd Node, lines int) string {
	out, err := exec.Command("docker", "logs", "--tail", strconv.Itoa(lines), nd.Name).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(no log for %s: %v)", nd.Name, err)
	}
	return fmt.Sprintf("--- %s (last %d lines of docker logs)\n%s", nd.Name, lines, strings.TrimRight(string(out), "\n"))
}

// downContainers removes the network's containers and Docker networks.
func (n *Network) downContainers() error {
	if !exists(n.ComposeFile()) {
		return nil
	}
	_, err := n.compose(context.Background(), "down", "--volumes", "--remove-orphans", "--timeout", "10")
	return err
}
