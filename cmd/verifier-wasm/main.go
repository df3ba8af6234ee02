//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall/js"

	"github.com/efa-marktplatz/registry/proof"
)

func main() {
	js.Global().Set("efaVerify", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return efaVerify(args)
	}))
	js.Global().Set("efaVerifierReady", true)
	select {} // keep the functions alive
}

// result is what efaVerify returns, as JSON.
type result struct {
	Report *proof.Report `json:"report"`
	Error  string        `json:"error,omitempty"`
}

// efaVerify reads the bundle and the roots and verifies the bundle. A panic
// is turned into an error: it would otherwise end the program and leave the
// page without a verifier.
func efaVerify(args []js.Value) (out string) {
	defer func() {
		if r := recover(); r != nil {
			out = encode(result{Error: fmt.Sprintf("the verifier failed: %v", r)})
		}
	}()
	if len(args) != 2 {
		return encode(result{Error: fmt.Sprintf("efaVerify takes 2 arguments (bundleJSON, roots), got %d", len(args))})
	}
	if args[0].Type() != js.TypeString {
		return encode(result{Error: fmt.Sprintf("bundleJSON is not a string (%s): pass the bundle file's text", args[0].Type())})
	}
	bundle, err := proof.Read(strings.NewReader(args[0].String()))
	if err != nil {
		return encode(result{Error: err.Error()})
	}
	files, err := rootFiles(args[1])
	if err != nil {
		return encode(result{Error: err.Error()})
	}
	trust, err := proof.ParseRoots(files)
	if err != nil {
		return encode(result{Error: err.Error()})
	}
	report, _ := proof.Verify(bundle, trust)
	return encode(result{Report: report})
}

// rootFiles reads the roots argument: an array of {name, content} objects,
// content a string.
func rootFiles(v js.Value) (map[string][]byte, error) {
	if !js.Global().Get("Array").Call("isArray", v).Bool() {
		return nil, fmt.Errorf("roots is not an array (%s): pass an array of {name, content}", v.Type())
	}
	files := map[string][]byte{}
	for i := range v.Length() {
		f := v.Index(i)
		if f.Type() != js.TypeObject {
			return nil, fmt.Errorf("roots[%d] is not an object (%s): pass {name, content}", i, f.Type())
		}
		name, content := f.Get("name"), f.Get("content")
		if name.Type() != js.TypeString || name.String() == "" {
			return nil, fmt.Errorf("roots[%d]: name is not a file name", i)
		}
		if content.Type() != js.TypeString {
			return nil, fmt.Errorf("roots[%d] (%s): content is not a string (%s): pass the file's text", i, name.String(), content.Type())
		}
		if _, dup := files[name.String()]; dup {
			return nil, fmt.Errorf("roots: %s is given twice", name.String())
		}
		files[name.String()] = []byte(content.String())
	}
	if len(files) == 0 {
		return nil, errors.New("roots: no files given")
	}
	return files, nil
}

func encode(r result) string {
	out, err := json.Marshal(r)
	if err != nil {
		out, _ = json.Marshal(result{Error: fmt.Sprintf("encode the report: %v", err)})
	}
	return string(out)
}
