package config

import (
	"maps"
	"strings"
	"testing"
)

func TestParseDotEnv(t *testing.T) {
	tests := []struct {
		name string
		text string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"blank and comment lines", "\n  \n# A=1\n   # B=2\n", map[string]string{}},
		{"plain", "A=1\nB = two \n", map[string]string{"A": "1", "B": "two"}},
		{"export prefix", "export A=1\nexport\tB=2\n", map[string]string{"A": "1", "B": "2"}},
		{
			"name starting with export", "exported=1\nexport=2\n",
			map[string]string{"exported": "1", "export": "2"},
		},
		{"crlf", "A=1\r\nB=2\r\n", map[string]string{"A": "1", "B": "2"}},
		{"empty value", "A=\nB=''\nC=\"\"\n", map[string]string{"A": "", "B": "", "C": ""}},
		{
			"inline comment", "A=1 # note\nB=x#y\nC=z\t# tab\n",
			map[string]string{"A": "1", "B": "x#y", "C": "z"},
		},
		{
			"single quotes literal", `A='a b # c \n $HOME'`,
			map[string]string{"A": `a b # c \n $HOME`},
		},
		{
			"double quote escapes", `A="tab\there \"q\" back\\slash \$x \n"`,
			map[string]string{"A": "tab\there \"q\" back\\slash \\$x \n"},
		},
		{"other escapes kept", `A="a\rb\qc"`, map[string]string{"A": "a\rb\\qc"}},
		{"quoted then comment", `A="v" # note`, map[string]string{"A": "v"}},
		{
			"no expansion", "A=$HOME\nB=${A}x\n",
			map[string]string{"A": "$HOME", "B": "${A}x"},
		},
		{"inner quotes unquoted", `A=it's "fine"`, map[string]string{"A": `it's "fine"`}},
		{
			"multiline double", "A=\"line1\nline2\"\nB=3\n",
			map[string]string{"A": "line1\nline2", "B": "3"},
		},
		{
			"multiline single", "A='x\n\n y'\nB=3\n",
			map[string]string{"A": "x\n\n y", "B": "3"},
		},
		{"later wins", "A=1\nA=2\n", map[string]string{"A": "2"}},
		{"dotted name", "a.b_C9=1\n", map[string]string{"a.b_C9": "1"}},
		{"equals in value", "A=b=c==\n", map[string]string{"A": "b=c=="}},
		{"no final newline", "A=1", map[string]string{"A": "1"}},
		{"leading spaces", "   A=1\n", map[string]string{"A": "1"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDotEnv(tt.text)
			if err != nil {
				t.Fatalf("parseDotEnv: %v", err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDotEnvErrors(t *testing.T) {
	const secret = "s3cr3t-value"
	tests := []struct {
		name  string
		text  string
		parts []string
	}{
		{"no equals", "A=1\n" + secret + "\n", []string{"line 2", "NAME=VALUE"}},
		{"space in name", "MY " + secret + "=1\n", []string{"line 1", "NAME=VALUE"}},
		{"digit first", "1" + secret + "=1\n", []string{"line 1", "NAME=VALUE"}},
		{
			"unterminated double", "A=1\nKEY=\"" + secret + "\nB=2\n",
			[]string{"line 2", "KEY", `no closing " quote`},
		},
		{"unterminated single", "KEY='" + secret, []string{"line 1", "KEY", "no closing '"}},
		{
			"text after quote", "KEY='" + secret + "'x\n",
			[]string{"line 1", "KEY", "after its closing quote"},
		},
		{"yaml style", "KEY: " + secret + "\n", []string{"line 1", "NAME=VALUE"}},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseDotEnv(tt.text)
			requireErrorContains(t, err, tt.parts...)
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error quotes the line: %v", err)
			}
		})
	}
}
