//go:build reliability

package reliability

import (
	"fmt"
	"testing"
	"time"
)

// mode holds the sizes that differ between the short and the long run.
type mode struct {
	name string
	// crashTrials is how many times TestCrashDuringWrites kills the binary.
	crashTrials int
	// soak is the soak's duration, and zero skips it.
	soak time.Duration
}

// shortSoak is the soak's duration in the short mode.
const shortSoak = 20 * time.Second

// modeFromEnv reads ACTORGATE_RELIABILITY (short or long, long when unset),
// ACTORGATE_TEST_LONG=1 (forces long) and ACTORGATE_SOAK (a Go duration).
func modeFromEnv(getenv func(string) string) (mode, error) {
	name := getenv("ACTORGATE_RELIABILITY")
	if getenv("ACTORGATE_TEST_LONG") == "1" || name == "" {
		name = "long"
	}
	var m mode
	switch name {
	case "short":
		m = mode{name: name, crashTrials: 5, soak: shortSoak}
	case "long":
		m = mode{name: name, crashTrials: 50}
	default:
		return m, fmt.Errorf("ACTORGATE_RELIABILITY=%q is not a mode; use short or long", name)
	}
	if s := getenv("ACTORGATE_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return m, fmt.Errorf("ACTORGATE_SOAK=%q is not a positive Go duration; use for "+
				"example 30m or 2h", s)
		}
		m.soak = d
	}
	return m, nil
}

func TestModeFromEnv(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    mode
		wantErr bool
	}{
		{"default", nil, mode{name: "long", crashTrials: 50}, false},
		{
			"short",
			map[string]string{"ACTORGATE_RELIABILITY": "short"},
			mode{name: "short", crashTrials: 5, soak: shortSoak},
			false,
		},
		{"long flag wins", map[string]string{
			"ACTORGATE_RELIABILITY": "short", "ACTORGATE_TEST_LONG": "1",
		}, mode{name: "long", crashTrials: 50}, false},
		{
			"soak",
			map[string]string{"ACTORGATE_SOAK": "2h"},
			mode{name: "long", crashTrials: 50, soak: 2 * time.Hour},
			false,
		},
		{"bad mode", map[string]string{"ACTORGATE_RELIABILITY": "medium"}, mode{}, true},
		{"bad soak", map[string]string{"ACTORGATE_SOAK": "ten"}, mode{}, true},
		{"negative soak", map[string]string{"ACTORGATE_SOAK": "-1s"}, mode{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := modeFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr {
				if err == nil {
					t.Fatalf("modeFromEnv = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("modeFromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
}
