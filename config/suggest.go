package config

import (
	"reflect"
	"strings"
)

// suggestKey returns the known key that an unknown key name in a mapping
// of type parent most likely meant, or "". A key of the same mapping is
// returned by its name, a key elsewhere by its full dotted path.
//
// The first of these matches wins:
//
//   - a sibling with the same name when case, - and _ are ignored;
//   - the one sibling within a small edit distance;
//   - the one sibling that shares the most words, split at _;
//   - a key with the same name in another mapping.
func suggestKey(name string, parent reflect.Type) string {
	siblings := make([]string, 0, parent.NumField())
	for i := range parent.NumField() {
		if n := yamlName(parent.Field(i)); n != "" {
			siblings = append(siblings, n)
		}
	}

	want := normalizeKey(name)
	for _, s := range siblings {
		if normalizeKey(s) == want {
			return s
		}
	}

	if s := closestByEdits(want, siblings); s != "" {
		return s
	}

	if s := closestByWords(name, siblings); s != "" {
		return s
	}

	for _, path := range knownPaths(reflect.TypeFor[Config](), "") {
		leaf := path[strings.LastIndexByte(path, '.')+1:]
		if normalizeKey(leaf) == want {
			return path
		}
	}

	return ""
}

func normalizeKey(s string) string {
	s = strings.ToLower(s)

	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// closestByEdits returns the one candidate within the allowed edit
// distance of want, or "" when none or several tie.
func closestByEdits(want string, candidates []string) string {
	limit := 1
	if len(want) >= 6 {
		limit = 2
	}
	if len(want) < 3 {
		return ""
	}

	best, bestDist, tie := "", limit+1, false
	for _, c := range candidates {
		dist := editDistance(want, normalizeKey(c))
		switch {
		case dist < bestDist:
			best, bestDist, tie = c, dist, false
		case dist == bestDist:
			tie = true
		}
	}

	if tie {
		return ""
	}

	return best
}

// closestByWords returns the one candidate that shares the most words with
// name, or "" when none shares a word or several tie.
func closestByWords(name string, candidates []string) string {
	words := splitWords(name)
	best, bestShared, tie := "", 0, false

	for _, c := range candidates {
		shared := 0
		for w := range splitWords(c) {
			if words[w] {
				shared++
			}
		}

		switch {
		case shared > bestShared:
			best, bestShared, tie = c, shared, false
		case shared == bestShared && shared > 0:
			tie = true
		}
	}

	if tie {
		return ""
	}

	return best
}

func splitWords(s string) map[string]bool {
	words := make(map[string]bool)
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == '_' || r == '-' || r == '.'
	}) {
		words[w] = true
	}

	return words
}

// knownPaths lists the dotted YAML path of every field of struct type t.
func knownPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for i := range t.NumField() {
		f := t.Field(i)

		name := yamlName(f)
		if name == "" {
			continue
		}

		path := joinPath(prefix, name)
		paths = append(paths, path)
		if f.Type.Kind() == reflect.Struct {
			paths = append(paths, knownPaths(f.Type, path)...)
		}
	}

	return paths
}

// editDistance returns the optimal string alignment distance between a and
// b in bytes: the Levenshtein distance where swapping two adjacent bytes,
// a common typing slip, also costs one edit.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}

	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}

	return prev[len(b)]
}
