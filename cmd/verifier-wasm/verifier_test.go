//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/efa-marktplatz/registry/client"
	"github.com/efa-marktplatz/registry/internal/demo"
	"github.com/efa-marktplatz/registry/internal/embedded"
	"github.com/efa-marktplatz/registry/ledger"
	"github.com/efa-marktplatz/registry/proof"
	"github.com/efa-marktplatz/registry/schema"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/require"
)

// eightActs is the demo agreement that has 8 signed acts once both parties
// approved its fee change: interest, fees, two approvals, order, a fee
// change and its two approvals.
const eightActs = "koeln-aufenthaltstitel"

// rootFile is a file of a roots directory as efaVerify takes it.
type rootFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// fixture is what the tests and benchmarks of this package share, made once:
// the WebAssembly verifier, and a real bundle with the roots it verifies
// against.
type fixture struct {
	dir      string
	wasm     string // verifier.wasm, built for js/wasm
	wasmExec string // Go's wasm_exec.js
	bundle   []byte // the proof bundle file of eightActs
	// roots are the files `registryctl proof roots` writes (MSPID.pem), with
	// genesis.sha256 pinning the genesis block.
	roots []rootFile
	// caRoots are the embedded ledger's msp directory's MSPID/ca.pem files.
	caRoots []rootFile
}

var (
	fixtureOnce sync.Once
	shared      *fixture
	fixtureErr  error
	fixtureDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// getFixture makes the fixture on first use; a failure fails every test
// that needs it.
func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixtureOnce.Do(func() {
		fixtureDir, fixtureErr = os.MkdirTemp("", "verifier-wasm-test-")
		if fixtureErr == nil {
			shared, fixtureErr = makeFixture(fixtureDir)
		}
	})
	require.NoError(tb, fixtureErr)
	return shared
}

func makeFixture(dir string) (*fixture, error) {
	f := &fixture{dir: dir, wasm: filepath.Join(dir, "verifier.wasm")}
	goroot, err := goCommand("", nil, "env", "GOROOT")
	if err != nil {
		return nil, err
	}
	f.wasmExec = filepath.Join(strings.TrimSpace(goroot), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(f.wasmExec); err != nil {
		return nil, fmt.Errorf("Go's wasm_exec.js: %w", err)
	}
	// The build make wasm does.
	if _, err := goCommand(".", []string{"GOOS=js", "GOARCH=wasm"}, "build", "-trimpath", "-ldflags=-s -w", "-o", f.wasm, "."); err != nil {
		return nil, err
	}
	if err := f.makeBundle(filepath.Join(dir, "registry")); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return f, nil
}

// goCommand runs the go command (go test puts its own first on PATH) and
// returns its output.
func goCommand(dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// makeBundle seeds an embedded registry with the demo, has both parties of
// eightActs approve its fee change, and exports the agreement's bundle and
// the roots, as an auditor receives them.
func (f *fixture) makeBundle(dir string) (err error) {
	ctx := context.Background()
	l, err := embedded.Open(filepath.Join(dir, "ledger"), ledger.Options{MSPID: demo.Members[0]})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := l.Close(); err == nil {
			err = cerr
		}
	}()
	if err := demo.Seed(ctx, l, dir); err != nil {
		return err
	}
	c, err := l.Client(demo.Members[0], "client")
	if err != nil {
		return err
	}
	raw, err := c.Record(ctx, schema.AgreementRef(eightActs))
	if err != nil {
		return err
	}
	var a schema.Agreement
	if err := json.Unmarshal(raw, &a); err != nil {
		return err
	}
	for _, p := range []string{a.Customer, a.Anbieter} {
		m := &schema.ApproveFeesMessage{Agreement: a.ID, Party: p, FeeVersion: schema.Uint(a.FeeVersion), TermsHash: a.TermsHash,
			Replay: schema.Replay{Nonce: "9000" + strconv.Itoa(len(p)), Deadline: 4_000_000_000}}
		if err := act(ctx, c, l.ChannelID(), filepath.Join(dir, "demo-keys", p+".key"), m); err != nil {
			return fmt.Errorf("approval of %s: %w", p, err)
		}
	}
	b, err := proof.Build(ctx, c, eightActs, proof.BuildOptions{})
	if err != nil {
		return err
	}
	if f.bundle, err = json.MarshalIndent(b, "", "  "); err != nil {
		return err
	}

	msp := filepath.Join(dir, "ledger", "msp")
	trust, err := proof.LoadRoots(msp)
	if err != nil {
		return err
	}
	genesis, err := l.Block(0)
	if err != nil {
		return err
	}
	trust.Genesis = genesis.Header.Hash()
	roots := filepath.Join(dir, "roots")
	if err := trust.WriteDir(roots); err != nil {
		return err
	}
	if f.roots, err = readRoots(roots, "*"); err != nil {
		return err
	}
	f.caRoots, err = readRoots(msp, "*/ca.pem")
	return err
}

func act(ctx context.Context, c *client.Client, channel, keyFile string, m schema.Message) error {
	hexKey, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	key, err := crypto.HexToECDSA(strings.TrimSpace(string(hexKey)))
	if err != nil {
		return err
	}
	a, err := schema.SignAct(channel, m, key)
	if err != nil {
		return err
	}
	_, err = c.Act(ctx, a)
	return err
}

// readRoots reads the files of dir matching pattern, named relative to dir.
func readRoots(dir, pattern string) ([]rootFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	var out []rootFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		name, err := filepath.Rel(dir, p)
		if err != nil {
			return nil, err
		}
		out = append(out, rootFile{Name: filepath.ToSlash(name), Content: string(raw)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s in %s", pattern, dir)
	}
	return out, nil
}

// jsCase is a call of efaVerify: its arguments as JSON values.
type jsCase struct {
	Name   string `json:"name"`
	Bundle any    `json:"bundle"`
	Roots  any    `json:"roots"`
	Repeat int    `json:"repeat,omitempty"`
}

// jsRun is what the harness reports.
type jsRun struct {
	InstantiateMs float64 `json:"instantiateMs"`
	Results       []struct {
		Name   string    `json:"name"`
		Result string    `json:"result"`
		Thrown string    `json:"thrown"`
		Ms     []float64 `json:"ms"`
	} `json:"results"`
}

// verifyResult is what efaVerify returns.
type verifyResult struct {
	Report *proof.Report `json:"report"`
	Error  string        `json:"error"`
}

// runNode runs the harness on the cases in Node.js; Node.js is required.
func (f *fixture) runNode(tb testing.TB, cases []jsCase) *jsRun {
	tb.Helper()
	node, err := exec.LookPath("node")
	require.NoError(tb, err, "the WebAssembly verifier runs in Node.js: install node")
	dir := tb.TempDir()
	in, out := filepath.Join(dir, "cases.json"), filepath.Join(dir, "results.json")
	raw, err := json.Marshal(cases)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(in, raw, 0o644))
	harness, err := filepath.Abs(filepath.Join("testdata", "harness.js"))
	require.NoError(tb, err)
	cmd := exec.Command(node, harness, f.wasmExec, f.wasm, in, out)
	output, err := cmd.CombinedOutput()
	require.NoError(tb, err, "node: %s", output)
	raw, err = os.ReadFile(out)
	require.NoError(tb, err)
	var run jsRun
	require.NoError(tb, json.Unmarshal(raw, &run))
	require.Len(tb, run.Results, len(cases))
	return &run
}

// tamper decodes the bundle, changes it and encodes it again.
func tamper(t *testing.T, bundle []byte, change func(b *proof.Bundle)) string {
	t.Helper()
	b, err := proof.Read(bytes.NewReader(bundle))
	require.NoError(t, err)
	change(b)
	raw, err := json.MarshalIndent(b, "", "  ")
	require.NoError(t, err)
	return string(raw)
}

// The verifier compiled to WebAssembly and run in Node.js, as a page runs
// it: a real bundle verifies, a tampered one fails and names the first
// broken link — each report the one the native verifier makes — and what
// cannot be read is an error.
func TestEfaVerifyInNode(t *testing.T) {
	f := getFixture(t)
	bundle := string(f.bundle)

	// A signed act changed by one byte: the last fee approval names another
	// fee version than the one its transaction wrote.
	var honest proof.Bundle
	require.NoError(t, json.Unmarshal(f.bundle, &honest))
	require.Len(t, honest.Records.AgreementActs, 8)
	actTampered := tamper(t, f.bundle, func(b *proof.Bundle) {
		act := bytes.Clone(b.Records.AgreementActs[7])
		at := regexp.MustCompile(`"feeVersion":\s*"\d`).FindIndex(act)
		require.NotNil(t, at, "%s", act)
		act[at[1]-1] ^= 0x01 // a digit stays a digit
		b.Records.AgreementActs[7] = act
	})
	// One byte of a transaction record in the last whole block.
	blockTampered := tamper(t, f.bundle, func(b *proof.Bundle) {
		for i := len(b.Embedded) - 1; i > 0; i-- {
			if len(b.Embedded[i].Data) > 0 {
				b.Embedded[i].Data[0][len(b.Embedded[i].Data[0])/2] ^= 0x01
				return
			}
		}
		t.Fatal("no whole block")
	})
	otherGenesis := append([]rootFile{{Name: proof.GenesisFile, Content: strings.Repeat("ab", 32)}}, withoutGenesis(f.roots)...)

	cases := []struct {
		name   string
		bundle any
		roots  any
		// ok is the verdict of a report; failure, when the report fails,
		// the check of its first failure.
		ok      bool
		failure proof.Check
		// error, when set, is in the error efaVerify returns, without a report.
		error string
	}{
		{name: "honest bundle, MSPID.pem roots and the pinned genesis block", bundle: bundle, roots: f.roots, ok: true},
		{name: "honest bundle, MSPID/ca.pem roots", bundle: bundle, roots: f.caRoots, ok: true},
		{name: "a signed act changed", bundle: actTampered, roots: f.roots, failure: proof.CheckRecordWritten},
		{name: "a block's record changed", bundle: blockTampered, roots: f.roots, failure: proof.CheckDataHash},
		{name: "another genesis block pinned", bundle: bundle, roots: otherGenesis, failure: proof.CheckGenesis},
		{name: "bundle not JSON", bundle: `{"format": "efa-registry-proof/4", "records": `, roots: f.roots, error: "proof bundle: unexpected EOF"},
		{name: "bundle of another format", bundle: `{"format": "efa-registry-proof/0"}`, roots: f.roots, error: `format "efa-registry-proof/0"`},
		{name: "bundle not a string", bundle: 42, roots: f.roots, error: "bundleJSON is not a string (number)"},
		{name: "roots not an array", bundle: bundle, roots: "DataportMSP.pem", error: "roots is not an array (string)"},
		{name: "no roots", bundle: bundle, roots: []rootFile{}, error: "roots: no files given"},
		{name: "roots without certificates", bundle: bundle, roots: []rootFile{{Name: "notes.txt", Content: "x"}}, error: "roots: no MSPID.pem or MSPID/ca.pem (ignored: notes.txt)"},
		{name: "a root that is no certificate", bundle: bundle, roots: []rootFile{{Name: "DataportMSP.pem", Content: "not PEM"}}, error: "roots: DataportMSP.pem: root certificates of DataportMSP: no PEM certificate"},
		{name: "a genesis pin that is no hash", bundle: bundle, roots: append([]rootFile{{Name: proof.GenesisFile, Content: "abc"}}, withoutGenesis(f.roots)...), error: "roots: genesis.sha256 must hold"},
		{name: "a root file without content", bundle: bundle, roots: []map[string]any{{"name": "DataportMSP.pem"}}, error: "roots[0] (DataportMSP.pem): content is not a string (undefined)"},
		{name: "a root file given twice", bundle: bundle, roots: append(slices.Clone(f.roots), f.roots[0]), error: "is given twice"},
	}
	calls := make([]jsCase, len(cases))
	for i, tc := range cases {
		calls[i] = jsCase{Name: tc.name, Bundle: tc.bundle, Roots: tc.roots}
	}
	run := f.runNode(t, calls) // one Node.js process: instantiating the module takes seconds
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := run.Results[i]
			require.Equal(t, tc.name, got.Name)
			require.Empty(t, got.Thrown)
			var res verifyResult
			require.NoError(t, json.Unmarshal([]byte(got.Result), &res), "%s", got.Result)
			if tc.error != "" {
				require.Nil(t, res.Report)
				require.Contains(t, res.Error, tc.error)
				return
			}
			require.Empty(t, res.Error)
			require.NotNil(t, res.Report)
			require.Equal(t, eightActs, res.Report.Agreement)
			require.Equal(t, tc.ok, res.Report.OK, "%+v", res.Report.FirstFailure)
			require.Equal(t, nativeReport(t, tc.bundle.(string), tc.roots.([]rootFile)), res.Report, "the report of the native verifier")
			if tc.ok {
				require.Nil(t, res.Report.FirstFailure)
				return
			}
			require.NotNil(t, res.Report.FirstFailure)
			require.Equal(t, tc.failure, res.Report.FirstFailure.Check, "%+v", res.Report.FirstFailure)
		})
	}
}

// nativeReport is the report of proof.Verify, natively, on the same input.
func nativeReport(t *testing.T, bundle string, roots []rootFile) *proof.Report {
	t.Helper()
	b, err := proof.Read(strings.NewReader(bundle))
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, r := range roots {
		files[r.Name] = []byte(r.Content)
	}
	trust, err := proof.ParseRoots(files)
	require.NoError(t, err)
	report, _ := proof.Verify(b, trust)
	return report
}

func withoutGenesis(roots []rootFile) []rootFile {
	var out []rootFile
	for _, r := range roots {
		if r.Name != proof.GenesisFile {
			out = append(out, r)
		}
	}
	return out
}

// Built for anything but js/wasm, the command says how to build it and
// exits 2.
func TestNativeBuildRefuses(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "verifier-wasm")
	_, err := goCommand(".", nil, "build", "-o", bin, ".")
	require.NoError(t, err)
	out, err := exec.Command(bin).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), "GOOS=js GOARCH=wasm")
}

// BenchmarkEfaVerifyInNode calls efaVerify in Node.js on the bundle of an
// agreement with 8 acts, from the bundle's text (decode included), as
// proof's BenchmarkVerify does natively. ns/op is what Node.js measured
// around each call, the first included; one Node.js process makes all b.N
// calls.
func BenchmarkEfaVerifyInNode(b *testing.B) {
	f := getFixture(b)
	run := f.runNode(b, []jsCase{{Name: "8 acts", Bundle: string(f.bundle), Roots: f.roots, Repeat: b.N}})
	got := run.Results[0]
	require.Empty(b, got.Thrown)
	var res verifyResult
	require.NoError(b, json.Unmarshal([]byte(got.Result), &res))
	require.True(b, res.Report.OK)
	require.Len(b, got.Ms, b.N)
	total := 0.0
	for _, ms := range got.Ms {
		total += ms
	}
	b.ReportMetric(total*1e6/float64(b.N), "ns/op")
	b.ReportMetric(got.Ms[0], "first-call-ms") // compiles the code it runs
	b.ReportMetric(slices.Sorted(slices.Values(got.Ms))[b.N/2], "median-call-ms")
	b.ReportMetric(run.InstantiateMs, "instantiate-ms")
	b.ReportMetric(float64(len(f.bundle)), "bundle-bytes")
}

// BenchmarkVerifyNative is BenchmarkEfaVerifyInNode's work done natively, in
// process: read the bundle's text and the roots, verify.
func BenchmarkVerifyNative(b *testing.B) {
	f := getFixture(b)
	for b.Loop() {
		bundle, err := proof.Read(bytes.NewReader(f.bundle))
		if err != nil {
			b.Fatal(err)
		}
		files := map[string][]byte{}
		for _, r := range f.roots {
			files[r.Name] = []byte(r.Content)
		}
		trust, err := proof.ParseRoots(files)
		if err != nil {
			b.Fatal(err)
		}
		if report, _ := proof.Verify(bundle, trust); !report.OK {
			b.Fatal(report.FirstFailure)
		}
	}
}

// BenchmarkRegistryctlVerify runs `registryctl verify -q` on the same bundle
// and roots, a process per verification: what an auditor's command line costs.
func BenchmarkRegistryctlVerify(b *testing.B) {
	f := getFixture(b)
	dir := b.TempDir()
	registryctl := filepath.Join(dir, "registryctl")
	_, err := goCommand(".", nil, "build", "-o", registryctl, "../registryctl")
	require.NoError(b, err)
	bundle, roots := filepath.Join(dir, eightActs+".proof.json"), filepath.Join(dir, "roots")
	require.NoError(b, os.WriteFile(bundle, f.bundle, 0o644))
	require.NoError(b, os.MkdirAll(roots, 0o755))
	for _, r := range f.roots {
		require.NoError(b, os.WriteFile(filepath.Join(roots, r.Name), []byte(r.Content), 0o644))
	}
	for b.Loop() {
		if out, err := exec.Command(registryctl, "verify", "-q", "--roots", roots, bundle).CombinedOutput(); err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
}
