package network

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/efa-marktplatz/registry/internal/atomicfile"
)

// ChaincodeVersion and ChaincodeSequence define the committed chaincodes.
const (
	ChaincodeVersion  = "1.0"
	ChaincodeSequence = "1"
)

// The external builder — detect, build and release, which the peer runs to
// "build" a chaincode-as-a-service package, which holds only where to dial
// the chaincode — is one static Go program, network/builder/main.go, that
// acts as the name it is run by. The network builds it from the embedded
// source into the binaries' cache (once per version of the source) and
// installs it as the three names in DIR/builder/bin; the peer image of
// `make images` ships the same program.
//
//go:embed builder/main.go
var builderSource []byte

// builderBinary is the builder's name in the binaries' cache.
const builderBinary = "ccaas-builder"

// ensureBuilder installs the external builder as DIR/builder/bin/detect,
// build and release: hard links to the cached program, or copies where the
// cache is on another file system.
func (n *Network) ensureBuilder(ctx context.Context) error {
	program, err := n.buildBuilder(ctx)
	if err != nil {
		return err
	}
	dir := n.path("builder", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("network: builder: %w", err)
	}
	for _, name := range []string{"detect", "build", "release"} {
		if err := installExecutable(program, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("network: builder %s: %w", name, err)
		}
	}
	return nil
}

// buildBuilder builds the external builder into the binaries' cache when
// it is missing or was built from other source (the stamp beside it records
// the source's SHA-256), and returns its path. Networks that build it at
// the same time each build it aside and rename it into place.
func (n *Network) buildBuilder(ctx context.Context) (string, error) {
	program, stamp := n.bin(builderBinary), n.bin(builderBinary+".sha256")
	sum := sha256.Sum256(builderSource)
	want := hex.EncodeToString(sum[:])
	if got, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(got)) == want && exists(program) {
		return program, nil
	}
	n.cfg.Logger.Info("building the external builder", "into", n.cfg.BinDir)
	if err := os.MkdirAll(n.cfg.BinDir, 0o755); err != nil {
		return "", fmt.Errorf("network: binaries directory: %w", err)
	}
	src, err := os.MkdirTemp(n.cfg.BinDir, "."+builderBinary+"-src-")
	if err != nil {
		return "", fmt.Errorf("network: builder: %w", err)
	}
	defer os.RemoveAll(src)
	// A module of its own: the program needs the standard library only.
	files := map[string]string{"go.mod": "module " + builderBinary + "\n\ngo 1.26\n", "main.go": string(builderSource)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("network: builder: %w", err)
		}
	}
	built := filepath.Join(src, builderBinary)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", built, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("network: build the external builder: %w\n%s", err, out)
	}
	if err := os.Rename(built, program); err != nil {
		return "", fmt.Errorf("network: builder: %w", err)
	}
	if err := atomicfile.Write(stamp, []byte(want+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("network: builder: %w", err)
	}
	return program, nil
}

// installExecutable puts program at path, a hard link or else a copy,
// renamed into place: a peer that runs the old file meanwhile is not
// disturbed.
func installExecutable(program, path string) error {
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	if err := removeIfExists(tmp); err != nil {
		return err
	}
	if err := os.Link(program, tmp); err != nil {
		raw, err := os.ReadFile(program)
		if err != nil {
			return err
		}
		if err := os.WriteFile(tmp, raw, 0o755); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Renaming a link onto a link of the same file leaves both in place.
	return removeIfExists(tmp)
}

// ensureChaincodeTLS creates a CA and a server certificate for every
// chaincode server: the peers dial their chaincode over TLS too.
func (n *Network) ensureChaincodeTLS() error {
	dir := n.path("chaincode", "tls")
	caCertFile, caKeyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("network: chaincode TLS: %w", err)
	}
	caCert, caKey, err := loadChaincodeCA(caCertFile, caKeyFile)
	switch {
	case err == nil:
	case exists(caCertFile):
		return fmt.Errorf("network: chaincode TLS: %w", err)
	default:
		if caCert, caKey, err = newChaincodeCA(caCertFile, caKeyFile); err != nil {
			return err
		}
	}
	now := time.Now().Add(-time.Hour)
	for _, cc := range n.ChaincodeServers() {
		if exists(filepath.Join(dir, cc.Name+".crt")) {
			continue
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return fmt.Errorf("network: chaincode key: %w", err)
		}
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
		if err != nil {
			return fmt.Errorf("network: chaincode certificate: %w", err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial, Subject: pkix.Name{CommonName: cc.Name},
			NotBefore: now, NotAfter: now.AddDate(10, 0, 0), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			DNSNames: []string{cc.Name, "localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return fmt.Errorf("network: chaincode certificate: %w", err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return fmt.Errorf("network: chaincode key: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, cc.Name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
			return fmt.Errorf("network: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, cc.Name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return fmt.Errorf("network: %w", err)
		}
	}
	return nil
}

// newChaincodeCA creates the CA of the chaincode servers' TLS certificates;
// its key stays beside it, for the servers of orgs that join later.
func newChaincodeCA(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("network: chaincode CA key: %w", err)
	}
	now := time.Now().Add(-time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "chaincode-ca.registry.test"},
		NotBefore: now, NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("network: chaincode CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, fmt.Errorf("network: chaincode CA: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("network: chaincode CA key: %w", err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, nil, fmt.Errorf("network: %w", err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return nil, nil, fmt.Errorf("network: %w", err)
	}
	return caCert, caKey, nil
}

// loadChaincodeCA reads the chaincode servers' CA and its key.
func loadChaincodeCA(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("the CA key %s (a network made before the key was kept cannot issue certificates for new orgs): %w", keyFile, err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s or %s holds no PEM block", certFile, keyFile)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("%s is no ECDSA key", keyFile)
	}
	return cert, ecKey, nil
}

// tarGz packs files (name → content) into a gzipped tar.
func tarGz(files map[string][]byte, names ...string) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range names {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[name]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ensurePackage writes the CCaaS package of a chaincode server and returns
// its package ID (label:sha256 of the package, as Fabric computes it).
func (n *Network) ensurePackage(cc Node) (path, id string, err error) {
	root, err := os.ReadFile(n.path("chaincode", "tls", "ca.crt"))
	if err != nil {
		return "", "", fmt.Errorf("network: chaincode CA: %w", err)
	}
	conn, err := json.Marshal(map[string]any{
		"address": n.Endpoint(cc, cc.Port), "dial_timeout": "10s", "tls_required": true,
		"client_auth_required": false, "root_cert": string(root),
	})
	if err != nil {
		return "", "", fmt.Errorf("network: connection.json: %w", err)
	}
	code, err := tarGz(map[string][]byte{"connection.json": conn}, "connection.json")
	if err != nil {
		return "", "", fmt.Errorf("network: code.tar.gz: %w", err)
	}
	label := cc.Chaincode + "_" + strings.ToLower(cc.Org.Name)
	meta, err := json.Marshal(map[string]string{"type": "ccaas", "label": label})
	if err != nil {
		return "", "", fmt.Errorf("network: metadata.json: %w", err)
	}
	pkg, err := tarGz(map[string][]byte{"metadata.json": meta, "code.tar.gz": code}, "metadata.json", "code.tar.gz")
	if err != nil {
		return "", "", fmt.Errorf("network: package: %w", err)
	}
	path = n.path("chaincode", label+".tar.gz")
	if err := os.WriteFile(path, pkg, 0o644); err != nil {
		return "", "", fmt.Errorf("network: package: %w", err)
	}
	sum := sha256.Sum256(pkg)
	return path, label + ":" + hex.EncodeToString(sum[:]), nil
}

// deployChaincodes installs both chaincodes on every peer, starts their
// servers, and approves and commits their definitions (MAJORITY endorsement).
func (n *Network) deployChaincodes(ctx context.Context) error {
	if err := n.ensureBuilder(ctx); err != nil {
		return err
	}
	if err := n.ensureChaincodeTLS(); err != nil {
		return err
	}
	for _, cc := range n.ChaincodeServers() {
		if err := n.install(ctx, cc); err != nil {
			return err
		}
	}
	for _, name := range []string{RegistryChaincode, KVChaincode} {
		if err := n.commitDefinition(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// install installs a chaincode server's package on its peer (unless it
// is) and starts the server.
func (n *Network) install(ctx context.Context, cc Node) error {
	peer, _ := n.Peer(cc.Org.MSPID)
	pkg, id, err := n.ensurePackage(cc)
	if err != nil {
		return err
	}
	installed, err := n.cli(ctx, peer, n.cliEnv(peer), "peer", "lifecycle", "chaincode", "queryinstalled")
	if err != nil {
		return err
	}
	if !bytes.Contains(installed, []byte(id)) {
		if _, err := n.cli(ctx, peer, n.cliEnv(peer), "peer", "lifecycle", "chaincode", "install", pkg); err != nil {
			return err
		}
	}
	return n.StartNode(ctx, cc)
}

// approve approves a chaincode's committed definition for a peer's org,
// unless the org has.
func (n *Network) approve(ctx context.Context, p, cc Node) error {
	_, id, err := n.ensurePackage(cc)
	if err != nil {
		return err
	}
	if _, err := n.cli(ctx, p, n.cliEnv(p), "peer", "lifecycle", "chaincode", "queryapproved", "--channelID", ChannelID,
		"--name", cc.Chaincode, "--sequence", ChaincodeSequence); err == nil {
		return nil
	}
	args := append([]string{"lifecycle", "chaincode", "approveformyorg", "--package-id", id, "--channelID", ChannelID, "--name", cc.Chaincode,
		"--version", ChaincodeVersion, "--sequence", ChaincodeSequence}, n.ordererArgs()...)
	return n.retry(ctx, func() error {
		_, err := n.cli(ctx, p, n.cliEnv(p), "peer", args...)
		return err
	})
}

// commitDefinition approves a chaincode definition for every org and
// commits it, unless it is committed already.
func (n *Network) commitDefinition(ctx context.Context, name string) error {
	peers := n.Peers()
	committed, _ := n.cli(ctx, peers[0], n.cliEnv(peers[0]), "peer", "lifecycle", "chaincode", "querycommitted", "--channelID", ChannelID, "--name", name)
	if bytes.Contains(committed, []byte("Sequence: "+ChaincodeSequence)) {
		return nil
	}
	for _, p := range peers {
		if err := n.approve(ctx, p, n.chaincodeServer(name, p.Org)); err != nil {
			return err
		}
	}
	definition := []string{"--channelID", ChannelID, "--name", name, "--version", ChaincodeVersion, "--sequence", ChaincodeSequence}
	args := append(append([]string{"lifecycle", "chaincode", "commit"}, definition...), n.ordererArgs()...)
	for _, p := range peers {
		args = append(args, "--peerAddresses", n.Endpoint(p, p.Port), "--tlsRootCertFiles", n.TLSCACert(p.Org))
	}
	return n.retry(ctx, func() error { _, err := n.cli(ctx, peers[0], n.cliEnv(peers[0]), "peer", args...); return err })
}

func (n *Network) chaincodeServer(name string, org Org) Node {
	for _, cc := range n.ChaincodeServers() {
		if cc.Chaincode == name && cc.Org == org {
			return cc
		}
	}
	panic("network: no chaincode server " + name + " for " + org.Name)
}

// retry retries an operation that may fail while the network settles (no
// Raft leader yet, peers not yet gossiping), for up to 30 seconds.
func (n *Network) retry(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := op()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		n.cfg.Logger.Debug("retrying", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last: %w)", ctx.Err(), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
