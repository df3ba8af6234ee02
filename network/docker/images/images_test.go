//go:build docker

// Package images_test is the smoke test of the Docker images that `make
// images` builds from network/docker/images/*.Dockerfile, FROM scratch.
// `make test-images` runs it; by hand:
//
//	go test -count=1 -tags docker ./network/docker/images/
//
// It starts a Docker engine when none answers (internal/dockertest) and
// builds the images with `make images` when one is missing. Every
// container and network it creates carries the label dockertest.run=<run>
// and is removed; the tests check that none is left.
package images_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/internal/dockertest"
	"github.com/stretchr/testify/require"
)

// The images `make images` builds (IMAGE_PREFIX and IMAGE_TAG at their defaults).
const (
	peerImage      = "efa-registry/peer:3.1.1"
	ordererImage   = "efa-registry/orderer:3.1.1"
	chaincodeImage = "efa-registry/chaincode:latest"
	apiImage       = "efa-registry/registry-api:latest"
)

var allImages = []string{peerImage, ordererImage, chaincodeImage, apiImage}

// One lease on the engine for the whole test binary.
func TestMain(m *testing.M) { dockertest.Main(m) }

// run labels what this test binary creates.
var run = func() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}()

var label = "dockertest.run=" + run

var build struct {
	once sync.Once
	err  error
}

// ensureImages takes the engine and builds the images with `make images`
// unless all of them exist.
func ensureImages(t *testing.T) {
	t.Helper()
	dockertest.Engine(t)
	build.once.Do(func() {
		var missing []string
		for _, img := range allImages {
			if _, err := dockertest.Output("image", "inspect", img); err != nil {
				missing = append(missing, img)
			}
		}
		if len(missing) == 0 {
			return
		}
		t.Logf("missing %s: make images", strings.Join(missing, ", "))
		root, err := filepath.Abs(filepath.Join("..", "..", ".."))
		if err != nil {
			build.err = err
			return
		}
		cmd := exec.Command("make", "--no-print-directory", "images")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("make images: %w\n%s", err, out)
		}
	})
	require.NoError(t, build.err)
}

// noLeftovers checks, after the test's other cleanups, that no container or
// network of this run is left.
func noLeftovers(t *testing.T) {
	t.Cleanup(func() {
		containers, err := dockertest.Output("ps", "--all", "--quiet", "--filter", "label="+label)
		require.NoError(t, err)
		require.Empty(t, containers, "containers left")
		networks, err := dockertest.Output("network", "ls", "--quiet", "--filter", "label="+label)
		require.NoError(t, err)
		require.Empty(t, networks, "networks left")
	})
}

// result runs docker and returns its output and exit status (0, or that
// of a failed docker or container command).
func result(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command("docker", args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		status = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), status
}

// runContainer is `docker run --rm` of an image with this run's label.
func runContainer(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	return result(t, append([]string{"run", "--rm", "--label", label}, args...)...)
}

// Each image is one layer (the COPY of its rootfs) on nothing: FROM scratch,
// so no shell.
func TestImagesAreFromScratch(t *testing.T) {
	ensureImages(t)
	noLeftovers(t)
	for _, img := range allImages {
		t.Run(img, func(t *testing.T) {
			require.Equal(t, "1", dockertest.Docker(t, "image", "inspect", "--format", "{{len .RootFS.Layers}}", img))
			_, stderr, status := runContainer(t, "--entrypoint", "/bin/sh", img, "-c", "true")
			require.NotZero(t, status)
			require.Contains(t, stderr, "no such file or directory", "no /bin/sh in %s", img)
		})
	}
}

// peer and orderer are Fabric v3.1.1, version stamped.
func TestFabricVersions(t *testing.T) {
	ensureImages(t)
	noLeftovers(t)
	for _, tc := range []struct{ image, command string }{{peerImage, "peer"}, {ordererImage, "orderer"}} {
		t.Run(tc.command, func(t *testing.T) {
			stdout, stderr, status := runContainer(t, tc.image, tc.command, "version")
			require.Zero(t, status, stderr)
			require.Contains(t, stdout, "Version: 3.1.1", stdout)
		})
	}
	stdout, stderr, status := runContainer(t, ordererImage, "osnadmin", "--help")
	require.Zero(t, status, stderr)
	require.Contains(t, stdout+stderr, "Orderer Service Node (OSN) administration")
}

// The external builder runs in the scratch peer image under its three
// names (the peer execs bin/detect, bin/build and bin/release the same
// way), at both paths, with /tmp writable as the peer's work directories
// need.
func TestBuilderRunsInThePeerImage(t *testing.T) {
	ensureImages(t)
	noLeftovers(t)
	dir := t.TempDir()
	connection := `{"address":"registry.dataport.registry.test:9999","dial_timeout":"10s","tls_required":false}`
	for name, content := range map[string]string{
		"src/connection.json": connection,
		"meta/metadata.json":  `{"type": "CCaaS", "label": "registry_dataport"}`,
		"other/metadata.json": `{"type":"golang","label":"x"}`,
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "out"), 0o755))
	mount := dir + ":/w"
	for _, bin := range []string{"/etc/registry/builder/bin", "/opt/hyperledger/ccaas_builder/bin"} {
		t.Run(bin, func(t *testing.T) {
			for _, step := range [][]string{
				{"detect", "/w/src", "/w/meta"},
				{"build", "/w/src", "/w/meta", "/w/out"},
				{"release", "/w/out", "/w/rel"},
				{"release", "/w/out", "/tmp/release"}, // /tmp is there, and writable
			} {
				args := append([]string{"-v", mount, "--entrypoint", bin + "/" + step[0], peerImage}, step[1:]...)
				_, stderr, status := runContainer(t, args...)
				require.Zero(t, status, "%v: %s", step, stderr)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "rel", "chaincode", "server", "connection.json"))
			require.NoError(t, err)
			require.Equal(t, connection, string(raw))

			_, stderr, status := runContainer(t, "-v", mount, "--entrypoint", bin+"/detect", peerImage, "/w/src", "/w/other")
			require.Equal(t, 1, status)
			require.Contains(t, stderr, `detect: /w/other/metadata.json: type "golang" is not "ccaas"`)
		})
	}
}

// The chaincode server runs in its scratch image (the registry contract
// loads; it wants its CHAINCODE_* settings).
func TestChaincodeImageRuns(t *testing.T) {
	ensureImages(t)
	noLeftovers(t)
	_, stderr, status := runContainer(t, chaincodeImage)
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
	_, stderr, status = runContainer(t, chaincodeImage, "-contract", "kv")
	require.Equal(t, 1, status)
	require.Contains(t, stderr, "CHAINCODE_ID and CHAINCODE_SERVER_ADDRESS must be set")
}

// registry-api serves the demo on its embedded ledger, on a user-defined
// network, published on 127.0.0.1 only: the host reaches /healthz and /,
// and another container reaches it by its name.
func TestRegistryAPIServesOnANetwork(t *testing.T) {
	ensureImages(t)
	noLeftovers(t)
	network := "dockertest-" + run
	dockertest.Docker(t, "network", "create", "--label", label, network)
	t.Cleanup(func() {
		if _, err := dockertest.Output("network", "rm", network); err != nil {
			t.Errorf("%v", err)
		}
	})
	name := "registry-api-" + run
	dockertest.Docker(t, "run", "--detach", "--name", name, "--label", label, "--network", network,
		"--publish", "127.0.0.1::8080", apiImage, "--demo")
	t.Cleanup(func() {
		if t.Failed() {
			logs, _, _ := result(t, "logs", "--tail", "40", name)
			t.Logf("logs of %s:\n%s", name, logs)
		}
		if _, err := dockertest.Output("rm", "--force", "--volumes", name); err != nil {
			t.Errorf("%v", err)
		}
	})

	var mounts []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(dockertest.Docker(t, "inspect", "--format", "{{json .Mounts}}", name)), &mounts))
	require.Empty(t, mounts, "no volume: the image declares none")

	published := dockertest.Docker(t, "port", name, "8080/tcp")
	require.NotEmpty(t, published)
	for _, addr := range strings.Split(published, "\n") {
		require.True(t, strings.HasPrefix(addr, "127.0.0.1:"), "published on %s", addr)
	}
	base := "http://" + strings.Split(published, "\n")[0]

	// The first start seeds the demo before it serves.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(250 * time.Millisecond) {
		resp, err := http.Get(base + "/healthz")
		last := fmt.Sprint(err)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		}
		require.True(t, time.Now().Before(deadline), "GET /healthz: %s", last)
	}

	resp, err := http.Get(base + "/")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, string(body), "<html")

	// osnadmin, the one HTTP client in the images, GETs
	// /participation/v1/channels of NAME:8080 in plain HTTP: an answer, here
	// registry-api's 404, shows the name resolved and the port reached.
	stdout, stderr, status := runContainer(t, "--network", network, ordererImage, "osnadmin", "channel", "list", "-o", name+":8080")
	require.Zero(t, status, "%s%s", stdout, stderr)
	require.Contains(t, stdout, "Status: 404")
	require.Contains(t, stdout, `"instance": "/participation/v1/channels"`, "registry-api's problem+json")
}
