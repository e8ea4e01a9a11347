package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// secretPaths are the YAML paths whose values are never quoted in errors.
var secretPaths = map[string]bool{
	"platforms.api_server.key": true,
	"agent.api_key":            true,
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	stringsType  = reflect.TypeFor[[]string]()
)

// yamlDecoder decodes config.yaml into a Config field by field, so that
// each error names the field's dotted path and line, and each key that
// matches no field becomes a warning instead of being dropped silently.
type yamlDecoder struct {
	file     string
	warnings []Warning
	errs     []error
}

// decodeYAML decodes data, the contents of file, into cfg. Fields absent
// from data keep their value in cfg.
func decodeYAML(data []byte, file string, cfg *Config) ([]Warning, error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConfigFile, file, err)
	}

	if root == nil || isNull(root) {
		return nil, nil
	}

	d := &yamlDecoder{file: file}
	if root.Kind != yaml.MappingNode {
		d.fail("", root, "the file must be a mapping with keys such as gateway:, "+
			"agent: and platforms:")
	} else {
		d.decodeStruct(root, reflect.ValueOf(cfg).Elem(), "")
	}

	return d.warnings, errors.Join(d.errs...)
}

// parseYAML returns the root node of the only document in data, or nil for
// a file without a document.
func parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))

	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}

		return nil, err
	}

	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}

		return nil, fmt.Errorf("line %d: a second YAML document starts here; "+
			"keep one document in the file", next.Line)
	}

	if len(doc.Content) == 0 {
		return nil, nil
	}

	return resolveAlias(doc.Content[0]), nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}

	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (d *yamlDecoder) fail(path string, n *yaml.Node, problem string) {
	where := fmt.Sprintf("%s line %d", d.file, n.Line)
	if path != "" {
		where = fmt.Sprintf("%s line %d: %s", d.file, n.Line, path)
	}

	d.errs = append(d.errs, fmt.Errorf("%w: %s: %s", ErrConfigFile, where, problem))
}

// decodeStruct decodes the mapping n into the struct v, whose path is
// prefix (empty for the root).
func (d *yamlDecoder) decodeStruct(n *yaml.Node, v reflect.Value, prefix string) {
	fields := yamlFields(v.Type())
	seen := make(map[string]int)

	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := resolveAlias(n.Content[i]), n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.fail(prefix, key, "a key must be a plain name")

			continue
		}

		path := joinPath(prefix, key.Value)
		if line, dup := seen[key.Value]; dup {
			d.fail(path, key, fmt.Sprintf("set twice, at lines %d and %d; keep one",
				line, key.Line))

			continue
		}
		seen[key.Value] = key.Line

		if key.Value == "<<" {
			d.fail(prefix, key, "merge keys (<<) are not supported; write the keys out")

			continue
		}

		index, known := fields[key.Value]
		if !known {
			d.warnUnknown(path, key, v.Type())

			continue
		}

		d.decodeField(value, v.Field(index), path)
	}
}

func (d *yamlDecoder) warnUnknown(path string, key *yaml.Node, parent reflect.Type) {
	d.warnings = append(d.warnings, Warning{
		Kind:       WarningUnknownKey,
		File:       d.file,
		Line:       key.Line,
		Key:        path,
		Suggestion: suggestKey(key.Value, parent),
	})
}

func joinPath(prefix, name string) string {
	if prefix == "" {
		return name
	}

	return prefix + "." + name
}

// yamlFields maps each yaml tag name of struct type t to its field index.
func yamlFields(t reflect.Type) map[string]int {
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
		}
	}

	return fields
}

// yamlName returns the key of field f in YAML, or "" for a field that
// YAML does not set.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}

	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}

	return name
}

func (d *yamlDecoder) decodeField(n *yaml.Node, field reflect.Value, path string) {
	n = resolveAlias(n)
	if isNull(n) {
		return
	}

	switch {
	case field.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(path, n, "must be a mapping of keys, not "+describeNode(n, path))

			return
		}
		d.decodeStruct(n, field, path)
	case field.Type() == stringsType && n.Kind == yaml.ScalarNode:
		field.Set(reflect.ValueOf(splitList(n.Value)))
	case isInt(field.Type()) && field.Type() != durationType:
		d.decodeInt(n, field, path)
	default:
		if err := n.Decode(field.Addr().Interface()); err != nil {
			d.fail(path, n, describeNode(n, path)+" "+expectedForm(field.Type(), n))
		}
	}
}

func isInt(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}

	return false
}

// decodeInt decodes an integer field. It accepts a float such as 1e7 only
// when it is a whole number, where yaml.v3 would drop the fraction.
func (d *yamlDecoder) decodeInt(n *yaml.Node, field reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
		var f float64
		if err := n.Decode(&f); err == nil && f == math.Trunc(f) &&
			f >= math.MinInt64 && f < math.MaxInt64 && !field.OverflowInt(int64(f)) {
			field.SetInt(int64(f))

			return
		}
	}

	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.fail(path, n, describeNode(n, path)+" "+expectedForm(field.Type(), n))

		return
	}

	if err := n.Decode(field.Addr().Interface()); err != nil {
		d.fail(path, n, describeNode(n, path)+" is out of range")
	}
}

// describeNode names the value of n for an error message, without quoting
// it when path is a secret.
func describeNode(n *yaml.Node, path string) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}

	if secretPaths[path] {
		return "the value"
	}

	return fmt.Sprintf("%q", n.Value)
}

func expectedForm(t reflect.Type, n *yaml.Node) string {
	switch {
	case t == durationType:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
			return "has no unit; write a Go duration such as " + n.Value + "s"
		}

		return `is not a duration; write a Go duration such as "90s" or "5m"`
	case isInt(t):
		return "is not a whole number"
	case t.Kind() == reflect.Bool, t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool:
		return "is not a boolean; write true or false"
	case t.Kind() == reflect.Slice:
		return `is not a list of strings; write a list such as ["http://localhost:3000"]`
	}

	return "is not a single value; write a string"
}

// splitList splits a comma-separated list, dropping blank items.
func splitList(s string) []string {
	var items []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}

	return items
}
