package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// connection is a connection.json as the native network packages it.
const connection = `{"address":"127.0.0.1:17200","dial_timeout":"10s","tls_required":true,"client_auth_required":false,"root_cert":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}`

// writeFiles writes files (slash-separated path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metadata string // "" for no metadata.json
		ok       bool
		stderr   string
	}{
		{name: "ccaas", metadata: `{"type":"ccaas","label":"registry_dataport"}`, ok: true},
		{name: "label first", metadata: `{"label":"registry_dataport","type":"ccaas"}`, ok: true},
		{name: "whitespace", metadata: "{\n\t\"label\" : \"x\",\n\t\"type\"\t:\n  \"ccaas\"\n}\n", ok: true},
		{name: "any case", metadata: `{"type":"CCaaS"}`, ok: true},
		{name: "key in any case, as encoding/json and Fabric's builder", metadata: `{"Type":"ccaas"}`, ok: true},
		{name: "golang", metadata: `{"type":"golang","label":"x"}`, stderr: `type "golang" is not "ccaas"`},
		{name: "external", metadata: `{"type":"external"}`, stderr: `type "external" is not "ccaas"`},
		{name: "padded", metadata: `{"type":" ccaas "}`, stderr: `type " ccaas " is not "ccaas"`},
		{name: "ccaas elsewhere", metadata: `{"type":"golang","label":"ccaas"}`, stderr: `type "golang"`},
		{name: "no type", metadata: `{"label":"x"}`, stderr: `type "" is not "ccaas"`},
		{name: "type not a string", metadata: `{"type":1}`, stderr: "metadata.json: json: cannot unmarshal"},
		{name: "not JSON", metadata: `"type": "ccaas"`, stderr: "metadata.json: invalid character"},
		{name: "no metadata.json", stderr: "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			source, metadata := t.TempDir(), t.TempDir()
			if tc.metadata != "" {
				writeFiles(t, metadata, map[string]string{"metadata.json": tc.metadata})
			}
			var stderr bytes.Buffer
			status := run("detect", []string{source, metadata}, &stderr)
			if tc.ok {
				require.Zero(t, status, stderr.String())
				require.Empty(t, stderr.String())
				return
			}
			require.Equal(t, 1, status)
			require.Contains(t, stderr.String(), "detect: ")
			require.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

func TestBuild(t *testing.T) {
	index := `{"index":{"fields":["docType"]},"ddoc":"indexDocType","name":"indexDocType","type":"json"}`
	for _, tc := range []struct {
		name   string
		source map[string]string
		want   map[string]string // files of OUTPUT afterwards
		stderr string
	}{
		{
			name:   "connection",
			source: map[string]string{"connection.json": connection},
			want:   map[string]string{"connection.json": connection},
		},
		{
			name: "with META-INF",
			source: map[string]string{
				"connection.json": connection,
				"META-INF/statedb/couchdb/indexes/indexDocType.json": index,
			},
			want: map[string]string{
				"connection.json": connection,
				"META-INF/statedb/couchdb/indexes/indexDocType.json": index,
			},
		},
		{
			name:   "only what the package holds",
			source: map[string]string{"connection.json": connection, "README": "not copied"},
			want:   map[string]string{"connection.json": connection},
		},
		{name: "no connection.json", source: map[string]string{"metadata.json": "{}"}, stderr: "connection.json: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			source, metadata, output := t.TempDir(), t.TempDir(), t.TempDir()
			writeFiles(t, source, tc.source)
			writeFiles(t, metadata, map[string]string{"metadata.json": `{"type":"ccaas","label":"x"}`})
			var stderr bytes.Buffer
			status := run("build", []string{source, metadata, output}, &stderr)
			if tc.stderr != "" {
				require.Equal(t, 1, status)
				require.Contains(t, stderr.String(), "build: ")
				require.Contains(t, stderr.String(), tc.stderr)
				return
			}
			require.Zero(t, status, stderr.String())
			require.Equal(t, tc.want, readFiles(t, output))
		})
	}
}

func TestRelease(t *testing.T) {
	index := `{"index":{"fields":["docType"]}}`
	for _, tc := range []struct {
		name   string
		build  map[string]string // files of BUILD
		want   map[string]string // files of RELEASE afterwards
		stderr string
	}{
		{
			name:  "connection",
			build: map[string]string{"connection.json": connection},
			want:  map[string]string{"chaincode/server/connection.json": connection},
		},
		{
			name:  "state database indexes",
			build: map[string]string{"connection.json": connection, "META-INF/statedb/couchdb/indexes/i.json": index},
			want: map[string]string{
				"chaincode/server/connection.json": connection,
				"statedb/couchdb/indexes/i.json":   index,
			},
		},
		{name: "no connection.json", build: map[string]string{}, stderr: "connection.json: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			built, rel := t.TempDir(), t.TempDir()
			writeFiles(t, built, tc.build)
			var stderr bytes.Buffer
			status := run("release", []string{built, rel}, &stderr)
			if tc.stderr != "" {
				require.Equal(t, 1, status)
				require.Contains(t, stderr.String(), "release: ")
				require.Contains(t, stderr.String(), tc.stderr)
				return
			}
			require.Zero(t, status, stderr.String())
			require.Equal(t, tc.want, readFiles(t, rel))
		})
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{name: "detect", args: []string{"/src"}, stderr: "detect: usage: detect SOURCE METADATA"},
		{name: "build", args: []string{"/src", "/meta"}, stderr: "build: usage: build SOURCE METADATA OUTPUT"},
		{name: "release", args: []string{"/bld"}, stderr: "release: usage: release BUILD RELEASE"},
		{name: "builder", args: []string{"/src", "/meta"}, stderr: `builder: run as "builder": install this program as bin/detect`},
		{name: "run", args: []string{"/bld", "/run"}, stderr: `run: run as "run"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			require.Equal(t, 1, run(tc.name, tc.args, &stderr))
			require.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

// The compiled program, linked as bin/detect, bin/build and bin/release as
// the peer finds it, acts on the name it is run by: a CCaaS package goes
// from detect to the released connection.json.
func TestInstalledUnderThreeNames(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	builder := t.TempDir()
	program := filepath.Join(builder, "ccaas-builder")
	cmd := exec.Command("go", "build", "-o", program, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	bin := filepath.Join(builder, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for _, name := range []string{"detect", "build", "release"} {
		require.NoError(t, os.Link(program, filepath.Join(bin, name)))
	}

	source, metadata, output, rel := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, source, map[string]string{"connection.json": connection})
	writeFiles(t, metadata, map[string]string{"metadata.json": `{"type": "ccaas", "label": "registry_dataport"}`})
	for _, step := range [][]string{{"detect", source, metadata}, {"build", source, metadata, output}, {"release", output, rel}} {
		out, err := exec.Command(filepath.Join(bin, step[0]), step[1:]...).CombinedOutput()
		require.NoError(t, err, "%v: %s", step, out)
		require.Empty(t, out, step[0])
	}
	require.Equal(t, map[string]string{"chaincode/server/connection.json": connection}, readFiles(t, rel))

	writeFiles(t, metadata, map[string]string{"metadata.json": `{"type":"golang","label":"x"}`})
	out, err = exec.Command(filepath.Join(bin, "detect"), source, metadata).CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, string(out), `detect: `+filepath.Join(metadata, "metadata.json")+`: type "golang" is not "ccaas"`)

	out, err = exec.Command(program, source, metadata).CombinedOutput()
	require.ErrorAs(t, err, &exit)
	require.Equal(t, 1, exit.ExitCode())
	require.Contains(t, string(out), `run as "ccaas-builder"`)
}

// readFiles returns the regular files under dir (slash-separated path →
// content).
func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = string(raw)
		return nil
	}))
	return files
}
