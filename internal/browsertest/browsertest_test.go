package browsertest

import (
	"bytes"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// pixel is a 1×1 PNG, so that the pages load no missing image.
const pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

var pages = map[string]string{
	"/good": `<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>Katalog</title></head>
<body>
<main>
<h1>Katalog</h1>
<img src="` + pixel + `" alt="Logo der Registry">
<form>
<label for="q">Suche</label>
<input id="q" name="q" type="search">
<button type="submit">Suchen</button>
</form>
<p style="height:1500px">Alle eingetragenen Angebote.</p>
</main>
</body>
</html>`,
	"/bad": `<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>Schlecht</title></head>
<body>
<main>
<h1>Schlecht</h1>
<img src="` + pixel + `">
<input type="text" name="menge">
<p style="color:#ddd;background:#fff">Kaum lesbarer Text</p>
</main>
</body>
</html>`,
	"/throws": `<!doctype html>
<html lang="de">
<head><meta charset="utf-8"><title>Fehler</title></head>
<body>
<main><h1>Fehler</h1></main>
<script>console.error("kaputt", 42);</script>
<script>throw new Error("boom");</script>
</body>
</html>`,
}

// serve serves pages on 127.0.0.1.
func serve(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAxe(t *testing.T) {
	t.Parallel()
	base := serve(t)
	ctx := New(t)
	tests := []struct {
		path    string
		wantIDs []string // nil: accessible
	}{
		{"/good", nil},
		{"/bad", []string{"image-alt", "label", "color-contrast"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.path, "/"), func(t *testing.T) {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+tt.path)))
			violations := Axe(t, ctx)
			if tt.wantIDs == nil {
				require.Empty(t, violations, FormatViolations(violations))
				RequireAccessible(t, ctx)
				return
			}
			var ids []string
			for _, v := range violations {
				ids = append(ids, v.ID)
				require.NotEmpty(t, v.Impact, v.ID)
				require.NotEmpty(t, v.Help, v.ID)
				require.NotEmpty(t, v.Nodes, v.ID)
				for _, n := range v.Nodes {
					require.NotEmpty(t, n.Target, v.ID)
					require.NotEmpty(t, n.HTML, v.ID)
				}
			}
			require.Subset(t, ids, tt.wantIDs)

			msg := FormatViolations(violations)
			require.Contains(t, msg, "- image-alt (critical): Images must have alternative text")
			require.Contains(t, msg, "<img src=")
			require.Contains(t, msg, "- label (critical)")
			require.Contains(t, msg, `input: <input type="text" name="menge">`)
		})
	}
}

// TestAxeInjectsOnce runs axe twice on one page, and again after a
// navigation (a new document without axe).
func TestAxeInjectsOnce(t *testing.T) {
	t.Parallel()
	base := serve(t)
	ctx := New(t)
	for _, path := range []string{"/bad", "/bad", "/good", "/bad"} {
		if path == "/good" {
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+path)))
			require.Empty(t, Axe(t, ctx))
			continue
		}
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+path)))
		require.NotEmpty(t, Axe(t, ctx))
		require.NotEmpty(t, Axe(t, ctx)) // axe is in the page now
	}
}

func TestScreenshot(t *testing.T) {
	base := serve(t)
	ctx := New(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/good")))

	dir := t.TempDir()
	t.Setenv("SCREENSHOT_DIR", dir)
	tests := []struct{ name, file string }{
		{"catalogue", "catalogue.png"},
		{"catalogue.png", "catalogue.png"},
		{"Katalog/leer ü", "Katalog_leer.png"},
		{"../x", "x.png"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := Screenshot(t, ctx, tt.name)
			require.Equal(t, filepath.Join(dir, tt.file), path)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), "PNG signature")
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			require.NoError(t, err)
			require.Equal(t, ViewportWidth, cfg.Width)
			require.Greater(t, cfg.Height, 1500, "the whole page, not the viewport")
		})
	}
}

func TestArtifactsDirDefault(t *testing.T) {
	t.Setenv("SCREENSHOT_DIR", "")
	dir := ArtifactsDir(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "test", "artifacts", "screenshots"), dir)
	require.DirExists(t, dir)
}

func TestJSErrors(t *testing.T) {
	t.Parallel()
	base := serve(t)
	ctx := New(t)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/good")))
	RequireNoJSErrors(t, ctx)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/throws")))
	require.Eventually(t, func() bool { return len(JSErrors(t, ctx)) >= 2 }, 5*time.Second, 20*time.Millisecond)
	errs := JSErrors(t, ctx)
	require.Len(t, errs, 2, errs)
	require.Contains(t, errs[0], "console.error: kaputt 42 ("+base+"/throws:")
	require.Contains(t, errs[1], "Uncaught Error: boom ("+base+"/throws:")

	// An error of a script run later, as by a click handler.
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`setTimeout(() => { throw new TypeError("später") }, 0)`)))
	require.Eventually(t, func() bool { return len(JSErrors(t, ctx)) == 3 }, 5*time.Second, 20*time.Millisecond)
	require.Contains(t, JSErrors(t, ctx)[2], "Uncaught TypeError: später")

	// RequireNoJSErrors fails with the list.
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }() // FailNow's Goexit stand-in
		RequireNoJSErrors(ft, ctx)
	}()
	require.True(t, ft.failed)
	require.Contains(t, ft.msg, "Uncaught Error: boom")
}

// fakeT records a failure of a require call instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.failed = true
	f.msg += format
	for _, a := range args {
		if s, ok := a.(string); ok {
			f.msg += s
		}
	}
}

func (f *fakeT) FailNow() { panic("FailNow") }

func TestRequireAccessibleMessage(t *testing.T) {
	t.Parallel()
	base := serve(t)
	ctx := New(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/bad")))
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		RequireAccessible(ft, ctx)
	}()
	require.True(t, ft.failed)
	for _, want := range []string{
		"axe-core violation(s) of WCAG 2.1 A/AA on " + base + "/bad",
		"- image-alt (critical): Images must have alternative text",
		"https://dequeuniversity.com/rules/axe/",
		"- label (critical): Form elements must have labels",
		`input: <input type="text" name="menge">`,
		"- color-contrast (serious)",
	} {
		require.Contains(t, ft.msg, want)
	}
}

func TestOffline(t *testing.T) {
	t.Parallel()
	base := serve(t)
	ctx := New(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/good")))
	fetch := `fetch(` + strconv.Quote(base+"/good") + `).then(r => "status " + r.status, e => "failed: " + e.message)`
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](fetch, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, "status 200", got)

	Offline(t, ctx)
	got, err = chromedp.Run(ctx, chromedp.Evaluate[string](fetch, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, "failed: Failed to fetch", got)
	online, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`navigator.onLine`))
	require.NoError(t, err)
	require.False(t, online)
}

// TestBrowserStops checks that no process of the browser outlives the test
// that started it. It is not parallel: the parallel tests wait until it ran,
// so no other browser runs in this process then.
func TestBrowserStops(t *testing.T) {
	base := serve(t)
	var profile string
	t.Run("browse", func(t *testing.T) {
		ctx := New(t)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/good")))
		pid := chromedp.FromContext(ctx).Browser.Process().Pid
		profile = userDataDir(pid)
		require.NotEmpty(t, profile, "the browser's profile directory")
		require.Greater(t, len(processesUsing(profile, "")), 1, "the browser and its helper processes")
	})
	require.NotEmpty(t, profile)
	require.Empty(t, processesUsing(profile, ""), "processes of the browser after the test")
	require.NoDirExists(t, profile)
	require.Empty(t, browserChildren(t), "processes of browsers, orphans that this process adopted")
}

// browserChildren returns the children of this process that are a browser's
// processes (chromium, chrome_crashpad_handler), running or zombies.
func browserChildren(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	self := strconv.Itoa(os.Getpid())
	var children []string
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 || !bytes.Contains(stat[:i], []byte("(chrom")) {
			continue
		}
		if f := strings.Fields(string(stat[i+1:])); len(f) > 1 && f[1] == self {
			children = append(children, string(stat[:i+1])+" "+f[0])
		}
	}
	return children
}

// fakeApt puts an apt-get on PATH that logs its arguments to log. "update"
// makes the package known; "install" then creates browser, else it fails as
// apt does for a package it does not know, or with failure when that is set.
func fakeApt(t *testing.T, browser, failure string) (log string) {
	t.Helper()
	dir := t.TempDir()
	log = filepath.Join(dir, "log")
	script := `#!/bin/sh
while [ "$1" = -o ]; do shift 2; done
echo "$* $DEBIAN_FRONTEND" >> ` + log + `
case "$1" in
update) touch ` + dir + `/known; echo "Reading package lists... Done";;
install)
	if [ -n "` + failure + `" ]; then echo "` + failure + `"; exit 100; fi
	if [ ! -e ` + dir + `/known ]; then echo "E: Unable to locate package chromium"; exit 100; fi
	sleep 0.2
	printf '#!/bin/sh\n' > ` + browser + ` && chmod +x ` + browser + `;;
esac
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "apt-get"), []byte(script), 0o755))
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return log
}

func TestEnsureChromium(t *testing.T) {
	t.Run("update then install, once", func(t *testing.T) {
		browser := filepath.Join(t.TempDir(), "chromium")
		log := fakeApt(t, browser, "")
		lock := filepath.Join(t.TempDir(), "lock")
		done := make(chan struct{})
		for range 3 { // as test binaries running at once
			go func() {
				defer func() { done <- struct{}{} }()
				ensureChromium(t, browser, lock)
			}()
		}
		for range 3 {
			<-done
		}
		require.FileExists(t, browser)
		calls, err := os.ReadFile(log)
		require.NoError(t, err)
		require.Equal(t, "install -y chromium noninteractive\nupdate noninteractive\ninstall -y chromium noninteractive\n", string(calls))

		ensureChromium(t, browser, lock) // there: no apt-get
		again, err := os.ReadFile(log)
		require.NoError(t, err)
		require.Equal(t, calls, again)
	})
	t.Run("failure fails the test with apt's output", func(t *testing.T) {
		browser := filepath.Join(t.TempDir(), "chromium")
		fakeApt(t, browser, "E: Sub-process /usr/bin/dpkg returned an error code (1)")
		ft := &fakeT{TB: t}
		func() {
			defer func() { _ = recover() }()
			ensureChromium(ft, browser, filepath.Join(t.TempDir(), "lock"))
		}()
		require.True(t, ft.failed)
		require.Contains(t, ft.msg, "apt-get install -y chromium: E: Sub-process /usr/bin/dpkg returned an error code (1)")
		require.NoFileExists(t, browser)
	})
}
