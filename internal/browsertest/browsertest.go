// Package browsertest drives Debian's Chromium, headless, with chromedp for
// the project's browser tests: it starts a fresh browser for a test, checks
// pages with axe-core (WCAG 2.1 A and AA), writes screenshots, and records
// the page's JavaScript errors.
//
//	ctx := browsertest.New(t)
//	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(url)))
//	browsertest.RequireAccessible(t, ctx)
//	browsertest.RequireNoJSErrors(t, ctx)
//	browsertest.Screenshot(t, ctx, "catalogue")
//
// chromedp v0.23 has a generic API: chromedp.Do runs actions that return
// nothing, chromedp.Run runs one action and returns its value, for example
// chromedp.Run(ctx, chromedp.Title()).
//
// Chromium comes from the Debian package chromium (/usr/bin/chromium). When
// it is missing, the first test installs it with apt-get; without it the test
// fails, it does not skip. axe-core comes from npm, pinned in test/js (see
// internal/jstest).
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/efa-marktplatz/registry/internal/apt"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/efa-marktplatz/registry/internal/jstest"
)

// ChromiumPath is the browser that New starts: Debian's package chromium.
const ChromiumPath = "/usr/bin/chromium"

// The browser window's size in CSS pixels. The viewport is as wide (headless
// Chromium 156 keeps some of the height: window.innerHeight is 657), and so
// are screenshots, which are as high as the page.
const (
	ViewportWidth  = 1280
	ViewportHeight = 800
)

// axeTags are the axe-core rule tags that Axe runs: WCAG 2.0 and 2.1, levels
// A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// axeTimeout bounds one axe-core run.
const axeTimeout = 2 * time.Minute

// closeTimeout bounds the graceful close of the browser at the test's end.
const closeTimeout = 10 * time.Second

type recorderKey struct{}

// recorder collects the JavaScript errors of a tab.
type recorder struct {
	mu     sync.Mutex
	errors []string
}

// listen is a chromedp listener: it runs on the tab's event loop, so it only
// formats and appends.
func (r *recorder) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = exceptionText(ev.ExceptionDetails)
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		msg = "console.error: " + argsText(ev.Args) + stackPlace(ev.StackTrace)
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, msg)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// lockedBuffer is the browser's output; the browser writes it from another
// goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New starts a fresh headless Chromium for the test and returns a chromedp
// context on its first tab. The browser runs as root too (--no-sandbox),
// with a fresh profile in a temporary directory, a 1280×800 window, and no
// background networking, component updates or sync. The test's cleanup stops
// it: the browser and every process it started end before the test does.
// When the test failed, the cleanup logs the browser's output.
//
// The context records the tab's uncaught JavaScript exceptions and
// console.error calls from its start; see JSErrors and RequireNoJSErrors. A
// tab of chromedp.NewContext(ctx) is not recorded.
//
// Chromium exits before some of its helper processes (and its crash
// handler), which init would have to reap. So New makes the test binary a
// child subreaper (prctl PR_SET_CHILD_SUBREAPER) that adopts them, and the
// cleanup reaps them: no chromium process, not even a zombie, outlives the
// test. Other orphaned descendants of the test binary stay zombies until it
// exits.
func New(t testing.TB) context.Context {
	t.Helper()
	EnsureChromium(t)

	output := &lockedBuffer{}
	// $XDG_CONFIG_HOME and $XDG_CACHE_HOME, not root's: the crash handler
	// keeps its database there. t.TempDir removes it after the browser
	// stopped: cleanups run last registered first.
	home := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// German, as the pages' users read them (date fields, number formats).
		chromedp.Flag("lang", "de-DE"),
		chromedp.WindowSize(ViewportWidth, ViewportHeight),
		chromedp.CombinedOutput(output),
		chromedp.Env("XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache")),
	)
	// No UserDataDir: chromedp then makes a fresh profile directory, and at
	// the end kills the processes that still use it and removes it.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	rec := &recorder{}
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(rec.listen))
	var (
		profile string // the browser's profile directory, once it runs
		mainPID int    // the browser's process, once it runs
	)
	t.Cleanup(func() {
		// Chromium exits before some of its helper processes. The orphans
		// come to this process, a subreaper (see adoptOrphans), and
		// reapHelpers reaps them, so that no zombie outlives the test.
		var helpers []int
		for _, pid := range processesUsing(profile, home) {
			if pid != mainPID { // os/exec waits for it
				helpers = append(helpers, pid)
			}
		}
		// Close the browser gracefully first, then cancel: that kills a
		// browser that did not close, waits for it, kills the helpers that
		// still run and removes the profile directory.
		closeCtx, cancelClose := context.WithTimeout(ctx, closeTimeout)
		err := chromedp.Cancel(closeCtx)
		cancelClose()
		cancelTab()
		cancelAlloc()
		browsers.forget(mainPID)
		reapHelpers(helpers)
		reapOrphans()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Logf("closing chromium: %v", err)
		}
		if t.Failed() {
			if out := browserOutput(output.String()); out != "" {
				t.Logf("chromium output:\n%s", out)
			}
		}
	})
	adoptOrphans(t)
	// Start the browser now, bound to ctx: a first chromedp call with a
	// shorter-lived context (a timeout) would otherwise end the browser with it.
	browsers.starting(1)
	err := chromedp.Do(ctx)
	if err == nil {
		mainPID = chromedp.FromContext(ctx).Browser.Process().Pid
		browsers.add(mainPID)
	}
	browsers.starting(-1)
	require.NoError(t, err, "start %s; its output:\n%s", ChromiumPath, browserOutput(output.String()))
	profile = userDataDir(mainPID)
	require.NotEmpty(t, profile, "the browser's --user-data-dir")
	return context.WithValue(ctx, recorderKey{}, rec)
}

var subreaper struct {
	once sync.Once
	err  error
}

// adoptOrphans makes this process a child subreaper (prctl
// PR_SET_CHILD_SUBREAPER): the orphaned helper processes of a browser that
// exited become its children, not init's, and reapHelpers can reap them.
// Init (PID 1) in a container may reap late or never. It holds for the whole
// test binary: another orphaned descendant stays a zombie until the binary
// exits.
func adoptOrphans(t testing.TB) {
	t.Helper()
	subreaper.once.Do(func() {
		subreaper.err = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	require.NoError(t, subreaper.err, "prctl PR_SET_CHILD_SUBREAPER")
}

// browsers are the browsers of this process that run or start. Their main
// processes are children that chromedp (os/exec) waits for: reapOrphans must
// leave them alone.
var browsers = browserSet{mains: map[int]bool{}}

type browserSet struct {
	mu    sync.Mutex
	start int // browsers that start, whose process is not in mains yet
	mains map[int]bool
}

func (b *browserSet) starting(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.start += n
}

func (b *browserSet) add(pid int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mains[pid] = true
}

func (b *browserSet) forget(pid int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.mains, pid)
}

// reapOrphans reaps the zombie children of this process that are a browser's
// helpers or crash handlers (chromium, chrome_crashpad_handler) and no
// browser's main process: orphans that this process adopted, also of other
// tests' browsers, for example a helper that started after reapHelpers' list
// was made. It does nothing while a browser starts, whose main process is not
// known yet.
func reapOrphans() {
	browsers.mu.Lock()
	defer browsers.mu.Unlock()
	if browsers.start > 0 {
		return
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || browsers.mains[pid] {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm is cut to 15 bytes.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		comm := string(stat[bytes.IndexByte(stat, '(')+1 : i])
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[0] != "Z" || f[1] != self || (comm != "chromium" && comm != "chrome_crashpad") {
			continue
		}
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
}

// reapHelpers waits for the processes pids that became children of this
// process, for up to two seconds in all, then kills and reaps those that
// still run. It skips those that are not its children (ECHILD): the browser
// reaped them.
func reapHelpers(pids []int) {
	deadline := time.Now().Add(2 * time.Second)
	for _, pid := range pids {
		for {
			var ws unix.WaitStatus
			got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if got == pid || err != nil {
				break
			}
			if time.Now().After(deadline) { // a child of this process that still runs
				_ = unix.Kill(pid, unix.SIGKILL)
				_, _ = unix.Wait4(pid, &ws, 0, nil)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// userDataDir returns the --user-data-dir of the process pid, or "".
func userDataDir(pid int) string {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	for arg := range strings.SplitSeq(string(cmdline), "\x00") {
		if dir, ok := strings.CutPrefix(arg, "--user-data-dir="); ok {
			return dir
		}
	}
	return ""
}

// processesUsing returns the processes of the browser with the profile
// directory dir: those with --user-data-dir=dir on their command line (the
// browser and its helpers; a helper rewrites its command line as one string,
// with spaces between the arguments), and those with a path under home (the
// crash handlers, whose database is under $XDG_CONFIG_HOME). It returns none
// for dir "".
func processesUsing(dir, home string) []int {
	if dir == "" {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	arg := []byte("--user-data-dir=" + dir)
	under := []byte(home + "/")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if home != "" && bytes.Contains(cmdline, under) || hasArg(cmdline, arg) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// hasArg tells whether cmdline has arg, followed by its end, a NUL or a space.
func hasArg(cmdline, arg []byte) bool {
	for rest := cmdline; ; {
		i := bytes.Index(rest, arg)
		if i < 0 {
			return false
		}
		rest = rest[i+len(arg):]
		if len(rest) == 0 || rest[0] == 0 || rest[0] == ' ' {
			return true
		}
	}
}

// browserOutput is the browser's output without the lines that say there is
// no D-Bus, as in a container.
func browserOutput(out string) string {
	var keep []string
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, ":ERROR:dbus/") || strings.TrimSpace(line) == "" {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// EnsureChromium installs Debian's chromium with apt-get unless ChromiumPath
// is there. Test binaries run in parallel: an exclusive lock on a file in
// os.TempDir() makes one install while the others wait. apt-get itself waits
// for apt's lock when another apt-get runs. When apt does not know the
// package, EnsureChromium runs apt-get update first. A failure fails the test
// with apt's output.
func EnsureChromium(t testing.TB) {
	t.Helper()
	ensureChromium(t, ChromiumPath, filepath.Join(os.TempDir(), "browsertest-chromium.lock"))
}

// ensureChromium is EnsureChromium for the browser path, with the lock file
// lockPath.
func ensureChromium(t testing.TB, path, lockPath string) {
	t.Helper()
	if isExecutable(path) {
		return
	}
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	require.NoError(t, err)
	defer lock.Close()
	require.NoError(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	if isExecutable(path) {
		return // another test binary installed it while this one waited
	}

	t.Logf("%s is missing: apt-get install -y chromium", path)
	out, err := apt.Install("chromium")
	require.NoError(t, err, "apt-get install -y chromium: %s", out)
	require.True(t, isExecutable(path), "apt-get installed chromium, but %s is not there: %s", path, out)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Violation is an axe-core rule that the page breaks.
type Violation struct {
	ID          string   `json:"id"`     // rule id, such as "image-alt"
	Impact      string   `json:"impact"` // minor, moderate, serious or critical
	Help        string   `json:"help"`
	HelpURL     string   `json:"helpUrl"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
	Nodes       []Node   `json:"nodes"`
}

// Node is an element of the page that breaks a rule.
type Node struct {
	// Target are the CSS selectors of the element; an element in an iframe or
	// a shadow root has one selector for each step, joined with " >>> ".
	Target         []string `json:"target"`
	HTML           string   `json:"html"` // a snippet of the element
	FailureSummary string   `json:"failureSummary"`
}

var axeSource struct {
	mu  sync.Mutex
	src string
}

// axeJS returns axe.min.js of test/js, installed with npm on first use.
func axeJS(t testing.TB) string {
	t.Helper()
	axeSource.mu.Lock()
	defer axeSource.mu.Unlock()
	if axeSource.src == "" {
		dir := jstest.Install(t)
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
		require.NoError(t, err, "axe-core is pinned in test/js/package.json")
		axeSource.src = string(b)
	}
	return axeSource.src
}

// axeRun runs axe-core on the document and returns its violations, plain
// JSON values.
var axeRun = `(async () => {
	const results = await axe.run(document, {
		runOnly: {type: 'tag', values: ` + mustJSON(axeTags) + `},
		resultTypes: ['violations'],
	});
	return results.violations.map(v => ({
		id: v.id,
		impact: v.impact || '',
		help: v.help,
		helpUrl: v.helpUrl,
		description: v.description,
		tags: v.tags,
		nodes: v.nodes.map(n => ({
			target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
			html: n.html,
			failureSummary: n.failureSummary || '',
		})),
	}));
})()`

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Axe runs axe-core's WCAG 2.0/2.1 level A and AA rules on the page of ctx
// and returns the violations, none for an accessible page. It injects
// axe-core into the page unless it is there.
func Axe(t testing.TB, ctx context.Context) []Violation {
	t.Helper()
	src := axeJS(t)
	ctx, cancel := context.WithTimeout(ctx, axeTimeout)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === 'object' && typeof window.axe.run === 'function'`))
	require.NoError(t, err, "look for axe-core in the page")
	if !loaded {
		require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)), "inject axe-core")
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](axeRun, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "run axe-core")
	var violations []Violation
	require.NoError(t, json.Unmarshal(raw, &violations), "axe-core's violations: %s", raw)
	return violations
}

// RequireAccessible fails the test unless axe-core finds no WCAG 2.1 A/AA
// violation on the page of ctx. The message lists each violation: rule id,
// impact, help and its URL, and for each element its selectors and a snippet.
func RequireAccessible(t testing.TB, ctx context.Context) {
	t.Helper()
	violations := Axe(t, ctx)
	if len(violations) == 0 {
		return
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		loc = "(location unknown: " + err.Error() + ")"
	}
	require.Empty(t, violations, "%d axe-core violation(s) of WCAG 2.1 A/AA on %s:\n%s", len(violations), loc, FormatViolations(violations))
}

// FormatViolations renders violations for a test message, one rule a
// paragraph.
func FormatViolations(violations []Violation) string {
	var b strings.Builder
	for _, v := range violations {
		fmt.Fprintf(&b, "- %s (%s): %s\n  %s\n", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "    %s: %s\n", strings.Join(n.Target, ", "), snippet(n.HTML, 200))
		}
	}
	return b.String()
}

// snippet shortens s to at most n bytes on one line.
func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ArtifactsDir is where Screenshot writes: $SCREENSHOT_DIR if set, else
// test/artifacts/screenshots of the repository (the first directory with
// go.mod from the test's package directory upwards). It creates it.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		root, err := filepath.Abs(".")
		require.NoError(t, err)
		for !fileExists(filepath.Join(root, "go.mod")) {
			parent := filepath.Dir(root)
			require.NotEqual(t, root, parent, "no go.mod above %s", root)
			root = parent
		}
		dir = filepath.Join(root, "test", "artifacts", "screenshots")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot writes a PNG of the whole page of ctx (1280 wide, as high as
// the page) to ArtifactsDir as <name>.png and returns its path. Characters
// other than letters, digits, '.', '_' and '-' in name become '_'.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	return screenshot(t, ctx, name, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
}

// ScreenshotView is Screenshot of what the window shows (1280×657), not
// the whole page: where the page has scrolled to, e.g. the element it
// brought into view.
func ScreenshotView(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	return screenshot(t, ctx, name, chromedp.CaptureScreenshot())
}

func screenshot(t testing.TB, ctx context.Context, name string, capture chromedp.Action[[]byte]) string {
	t.Helper()
	name = strings.Trim(unsafeName.ReplaceAllString(strings.TrimSuffix(name, ".png"), "_"), "._")
	require.NotEmpty(t, name, "screenshot name")
	png, err := chromedp.Run(ctx, capture)
	require.NoError(t, err, "screenshot %s", name)
	path := filepath.Join(ArtifactsDir(t), name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	return path
}

// JSErrors returns the uncaught exceptions and console.error calls of the
// tab of ctx (a context of New) so far, one text each, with its place.
func JSErrors(t testing.TB, ctx context.Context) []string {
	t.Helper()
	rec, ok := ctx.Value(recorderKey{}).(*recorder)
	require.True(t, ok, "JSErrors needs a context of browsertest.New")
	return rec.list()
}

// RequireNoJSErrors fails the test if the tab of ctx had an uncaught
// exception or a console.error call. The browser sends events on its own
// schedule: check after the page did its work (a chromedp action that waits
// for it), not right after the code that may throw.
func RequireNoJSErrors(t testing.TB, ctx context.Context) {
	t.Helper()
	errs := JSErrors(t, ctx)
	require.Empty(t, errs, "JavaScript errors in the page:\n%s", strings.Join(errs, "\n"))
}

// exceptionText is "Uncaught Error: message (url:line:column)".
func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "exception"
	}
	text := d.Text
	if obj := d.Exception; obj != nil {
		desc := remoteText(obj)
		desc, _, _ = strings.Cut(desc, "\n    at ") // the stack; the place follows
		text = strings.TrimSpace(text + " " + desc)
	}
	if d.URL != "" {
		return fmt.Sprintf("%s (%s:%d:%d)", text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
	}
	return text + stackPlace(d.StackTrace)
}

// stackPlace is " (url:line:column)" of the top frame, or "".
func stackPlace(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		parts = append(parts, remoteText(a))
	}
	return strings.Join(parts, " ")
}

// remoteText renders a value as the console shows it, roughly: a string as
// it is, a primitive as its JSON, an object as its description.
func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if o.Type == runtime.RemoteObjectTypeString && json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	if o.UnserializableValue != "" {
		return string(o.UnserializableValue)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Type)
}

// Offline cuts the tab of ctx from the network, as DevTools' "Offline" does:
// every request fails, and navigator.onLine is false. It lasts as long as the
// tab.
func Offline(t testing.TB, ctx context.Context) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tgt, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tgt, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: new(true),
			MatchedNetworkConditions: []*network.Conditions{{
				Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
			}},
		}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tgt, network.OverrideNetworkState, network.OverrideNetworkStateParams{
			Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
		})
		return err
	}))
	require.NoError(t, err, "emulate offline")
}
