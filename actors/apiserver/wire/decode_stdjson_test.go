package wire

import (
	stdjson "encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	segjson "github.com/segmentio/encoding/json"
)

// The decoders use github.com/segmentio/encoding/json for speed, but
// encoding/json is the reference. The tests below decode each body twice,
// once as shipped and once with encoding/json swapped in. They require the
// same result, or errors with the same status, type, param and code. The
// error messages may differ, because they quote the JSON library's error.

// withEncodingJSON runs fn with the decoders calling encoding/json and
// returns the number of JSON calls fn made.
func withEncodingJSON(t *testing.T, fn func()) int {
	t.Helper()
	calls := 0
	unmarshal, valid := unmarshalJSON, validJSON
	unmarshalJSON = func(data []byte, v any) error {
		calls++
		return stdjson.Unmarshal(data, v)
	}
	validJSON = func(data []byte) bool {
		calls++
		return stdjson.Valid(data)
	}
	defer func() { unmarshalJSON, validJSON = unmarshal, valid }()
	fn()
	return calls
}

// decodeResults is what both decoders return for one body.
type decodeResults struct {
	chat         *ChatRequest
	chatErr      *Error
	responses    *ResponsesRequest
	responsesErr *Error
}

func decodeWithBoth(body []byte) decodeResults {
	var r decodeResults
	r.chat, r.chatErr = DecodeChatRequest(body)
	r.responses, r.responsesErr = DecodeResponsesRequest(body)
	return r
}

// compareWithEncodingJSON fails t when a decoder's result for body differs
// from its result with encoding/json.
func compareWithEncodingJSON(t *testing.T, body []byte) {
	t.Helper()
	got := decodeWithBoth(body)
	var want decodeResults
	withEncodingJSON(t, func() { want = decodeWithBoth(body) })

	compareDecoded(t, "DecodeChatRequest", body, got.chat, got.chatErr, want.chat, want.chatErr)
	compareDecoded(t, "DecodeResponsesRequest", body, got.responses, got.responsesErr,
		want.responses, want.responsesErr)
}

func compareDecoded[T any](t *testing.T, decoder string, body []byte, got T, gotErr *Error,
	want T, wantErr *Error,
) {
	t.Helper()
	switch {
	case gotErr == nil && wantErr == nil:
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s(%s):\n got %+v\nwant %+v (encoding/json)", decoder, quoteBody(body),
				got, want)
		}
	case gotErr == nil:
		t.Errorf("%s(%s) succeeded, but with encoding/json it fails: %+v", decoder,
			quoteBody(body), *wantErr)
	case wantErr == nil:
		t.Errorf("%s(%s) failed (%+v), but with encoding/json it succeeds", decoder,
			quoteBody(body), *gotErr)
	default:
		compareErrors(t, decoder, body, gotErr, wantErr)
	}
}

func compareErrors(t *testing.T, decoder string, body []byte, got, want *Error) {
	t.Helper()
	if got.Param != want.Param {
		t.Errorf("%s(%s): error param %q, with encoding/json %q (messages %q and %q)",
			decoder, quoteBody(body), got.Param, want.Param, got.Message, want.Message)
	}
	if got.Code != want.Code {
		t.Errorf("%s(%s): error code %q, with encoding/json %q (messages %q and %q)",
			decoder, quoteBody(body), got.Code, want.Code, got.Message, want.Message)
	}
	if got.Status != want.Status || got.Type != want.Type {
		t.Errorf("%s(%s): error %d %s, with encoding/json %d %s", decoder, quoteBody(body),
			got.Status, got.Type, want.Status, want.Type)
	}
}

// quoteBody quotes body for a failure message, shortened when it is long.
func quoteBody(body []byte) string {
	const limit = 120
	if len(body) <= limit {
		return strconv.Quote(string(body))
	}
	return strconv.Quote(string(body[:limit])) + "... (" + strconv.Itoa(len(body)) + " bytes)"
}

// bothBody returns a body with messages and input that both decoders
// accept, followed by the extra fields, so that each case reaches both.
func bothBody(extra ...string) string {
	fields := append([]string{
		`"messages":[{"role":"user","content":"hi"}]`, `"input":"hi"`,
	}, extra...)
	return "{" + strings.Join(fields, ",") + "}"
}

// nested returns depth arrays around inner.
func nested(depth int, inner string) string {
	return strings.Repeat("[", depth) + inner + strings.Repeat("]", depth)
}

type stdJSONCase struct {
	name string
	body string
}

// stdJSONCases are the inputs where a JSON library is most likely to differ
// from encoding/json. Each is a test case, and those up to maxFuzzSeed
// bytes are also fuzz seeds.
func stdJSONCases() []stdJSONCase {
	cases := [][]stdJSONCase{
		duplicateKeyCases(), utf8Cases(), escapeCases(), numberCases(), nullCases(),
		wrongTypeCases(), framingCases(), depthCases(), sizeCases(),
	}
	var all []stdJSONCase
	for _, c := range cases {
		all = append(all, c...)
	}
	return all
}

func duplicateKeyCases() []stdJSONCase {
	return []stdJSONCase{
		{"duplicate model", bothBody(`"model":"a"`, `"model":"b"`)},
		{"duplicate model then null", bothBody(`"model":"a"`, `"model":null`)},
		{"duplicate messages", `{"messages":[],"messages":[{"role":"user","content":"x"}]}`},
		{"duplicate input", `{"input":"a","input":[]}`},
		{"duplicate role", `{"messages":[{"role":"user","role":"robot","content":"x"}]}`},
		{"duplicate role case", `{"messages":[{"role":"user","ROLE":"assistant",` +
			`"content":"x"}],"input":[{"role":"user","Role":"robot","content":"x"}]}`},
		{"upper case field", `{"messages":[{"Role":"user","CONTENT":"x"}],` +
			`"input":[{"rOLE":"user","Content":[{"TYPE":"input_text","Text":"a"}]}]}`},
		{"upper case top level", `{"Messages":[{"role":"user","content":"x"}],"INPUT":"x"}`},
		{"long s in field", bothBody(`"tools":[{"type":"function","name":"f",` +
			`"function":{"name":"f","ſtrict":"yes"},"ſtrict":"yes"}]`)},
		{"long s in tool_calls", `{"messages":[{"role":"assistant","content":null,` +
			`"tool_callſ":[{"id":"c","function":{"name":"f","arguments":"{}"}}]}]}`},
		{"escaped key", `{"\u006dessages":[{"\u0072ole":"user","content":"x"}],` +
			`"inp\u0075t":"x"}`},
		{"duplicate tool type", bothBody(`"tools":[{"type":"function","type":"web",` +
			`"name":"f","function":{"name":"f"}}]`)},
		{"duplicate option", bothBody(`"temperature":1`, `"temperature":"hot"`)},
		{"two invalid options", bothBody(`"temperature":"hot"`, `"top_p":"high"`,
			`"user":1`, `"seed":1.5`, `"logprobs":"yes"`, `"metadata":[]`)},
		{"duplicate metadata key", bothBody(`"metadata":{"a":"x","a":1}`)},
		{"duplicate wrong type first", bothBody(`"model":5`, `"model":"m"`)},
		{"escaped upper case field", `{"messages":[{"\u0052ole":"user","content":"x"}]}`},
		{"empty key", bothBody(`"":1`)},
	}
}

func utf8Cases() []stdJSONCase {
	return []stdJSONCase{
		{"invalid byte in content", bothBody(`"model":"a` + "\xff" + `b"`)},
		{"invalid byte in message", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\xffb\"}]," +
			"\"input\":[{\"role\":\"user\",\"content\":\"a\xfe\"}]}"},
		{"invalid byte in role", "{\"messages\":[{\"role\":\"us\xffer\",\"content\":\"x\"}]}"},
		{"invalid byte in key", bothBody("\"mod\xffel\":\"x\"")},
		{"invalid byte in field key", "{\"messages\":[{\"ro\xffle\":\"user\",\"content\":\"x\"}]}"},
		{"truncated sequence", bothBody("\"model\":\"\xe2\x82\"")},
		{"overlong slash", bothBody("\"model\":\"\xc0\xaf\"")},
		{"encoded surrogate", bothBody("\"model\":\"\xed\xa0\x80\"")},
		{"invalid byte in tool name", bothBody("\"tools\":[{\"type\":\"function\"," +
			"\"name\":\"f\xff\",\"function\":{\"name\":\"f\xff\"}}]")},
		{"invalid byte in stop", bothBody("\"stop\":[\"\xff\"]")},
		{"invalid byte in metadata", bothBody("\"metadata\":{\"k\xff\":\"v\xff\"}")},
		{"invalid byte in arguments", "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":" +
			"[{\"id\":\"c\",\"function\":{\"name\":\"f\",\"arguments\":\"{\xff}\"}}]}]}"},
		{"invalid byte outside string", bothBody("\"model\":\"a\"\xff")},
		{"valid multibyte", bothBody(`"model":"café 😀 ß"`)},
		{"raw tab in string", bothBody("\"model\":\"a\tb\"")},
		{"raw newline in string", bothBody("\"model\":\"a\nb\"")},
		{"raw nul in string", bothBody("\"model\":\"a\x00b\"")},
		{"raw delete in string", bothBody("\"model\":\"a\x7fb\"")},
		{"raw tab in key", bothBody("\"mo\tdel\":\"x\"")},
	}
}

func escapeCases() []stdJSONCase {
	return []stdJSONCase{
		{"surrogate pair", bothBody(`"model":"\ud83d\ude00"`)},
		{"surrogate pair upper hex", bothBody(`"model":"\uD83D\uDE00"`)},
		{"lone high surrogate", bothBody(`"model":"\ud83d"`)},
		{"lone low surrogate", bothBody(`"model":"\ude00"`)},
		{"reversed surrogates", bothBody(`"model":"\ude00\ud83d"`)},
		{"high surrogate then letter", bothBody(`"model":"\ud83dx"`)},
		{"high surrogate then escape", bothBody(`"model":"\ud83d\u0041"`)},
		{"high surrogate twice", bothBody(`"model":"\ud83d\ud83d\ude00"`)},
		{"high surrogate then newline", bothBody(`"model":"\ud83d\n"`)},
		{"lone surrogate in content", `{"messages":[{"role":"user","content":"\udfff"}],` +
			`"input":[{"role":"user","content":[{"type":"input_text","text":"\ud800"}]}]}`},
		{"lone surrogate in key", bothBody(`"\ud800":"x"`)},
		{"escaped nul", bothBody(`"model":"\u0000"`)},
		{"all short escapes", bothBody(`"model":"\"\\\/\b\f\n\r\t"`)},
		{"unknown escape", bothBody(`"model":"\x41"`)},
		{"short unicode escape", bothBody(`"model":"\u12"`)},
		{"non-hex unicode escape", bothBody(`"model":"\u12G4"`)},
		{"escape at end", bothBody(`"model":"\`)},
		{"escaped role", `{"messages":[{"role":"\u0075ser","content":"x"}]}`},
		{"escaped tool choice", bothBody(`"tool_choice":"\u0061uto"`)},
		{"escaped true", bothBody(`"stream":\u0074rue`)},
	}
}

func numberCases() []stdJSONCase {
	var cases []stdJSONCase
	numbers := []string{
		"1", "1e400", "-1e400", "1e-400", "-0", "0", "1.0", "1e0", "1E+0", "10e-1",
		"01", "-", "1.", ".5", "+1", "0x10", "1e", "1e+", "NaN", "Infinity", "-0.0",
		"9223372036854775807", "9223372036854775808", "-9223372036854775809",
		"-01", "00", "0e", "1.e1", "1e1.5", "--1", "-.5", "1ee1", "0.0e-0",
		"1" + strings.Repeat("0", 400),
	}
	for _, n := range numbers {
		cases = append(cases,
			stdJSONCase{"n " + n, bothBody(`"n":` + n)},
			stdJSONCase{"temperature " + n, bothBody(`"temperature":` + n)},
			stdJSONCase{"max_tokens " + n, bothBody(`"max_tokens":`+n,
				`"max_output_tokens":`+n)},
			stdJSONCase{"number in stop " + n, bothBody(`"stop":[` + n + `]`)},
			stdJSONCase{"unknown number " + n, bothBody(`"x":` + n)},
		)
	}
	return cases
}

func nullCases() []stdJSONCase {
	return []stdJSONCase{
		{"null body", `null`},
		{"all null", `{"messages":null,"input":null,"model":null,"stream":null,"tools":null}`},
		{"null options", bothBody(`"temperature":null`, `"stop":null`, `"metadata":null`,
			`"stream_options":null`, `"text":null`, `"reasoning":null`)},
		{"null message", `{"messages":[null],"input":[null]}`},
		{"null in stop", bothBody(`"stop":["a",null]`)},
		{"null metadata value", bothBody(`"metadata":{"a":null}`)},
		{"null content", `{"messages":[{"role":"tool","tool_call_id":"c","content":null}]}`},
		{"null fields in tool", bothBody(`"tools":[{"type":"function","name":"f",` +
			`"description":null,"parameters":null,"strict":null,` +
			`"function":{"name":"f","description":null,"parameters":null,"strict":null}}]`)},
		{"misspelt null", bothBody(`"model":nul`)},
		{"upper case null", bothBody(`"model":NULL`)},
		{"null key", `{null:1}`},
		{"true with suffix", bothBody(`"stream":truex`)},
		{"null with suffix", bothBody(`"model":nullx`)},
		{"truncated false", bothBody(`"stream":fals`)},
	}
}

func wrongTypeCases() []stdJSONCase {
	return []stdJSONCase{
		{"model number", bothBody(`"model":5`)},
		{"stream string", bothBody(`"stream":"true"`)},
		{"stream number", bothBody(`"stream":1`)},
		{"messages object", `{"messages":{},"input":{}}`},
		{"stop number element", bothBody(`"stop":[1]`)},
		{"stop nested array", bothBody(`"stop":[["a"]]`)},
		{"metadata number value", bothBody(`"metadata":{"a":1}`)},
		{"metadata array", bothBody(`"metadata":[]`)},
		{"n string", bothBody(`"n":"1"`)},
		{"n boolean", bothBody(`"n":true`)},
		{"tools object", bothBody(`"tools":{}`)},
		{"input number", `{"input":5}`},
		{"content boolean", `{"messages":[{"role":"user","content":true}]}`},
		{"stream_options array", bothBody(`"stream_options":[]`)},
		{"include_usage string", bothBody(`"stream":true`,
			`"stream_options":{"include_usage":"yes"}`)},
		{"tool choice number", bothBody(`"tool_choice":1`)},
		{"text format string", bothBody(`"text":{"format":"json"}`)},
	}
}

func framingCases() []stdJSONCase {
	body := bothBody()
	return []stdJSONCase{
		{"empty body", ``},
		{"only whitespace", " \t\r\n"},
		{"trailing word", body + ` x`},
		{"trailing object", body + `{}`},
		{"trailing brace", body + `}`},
		{"trailing null", body + ` null`},
		{"trailing comma", body + `,`},
		{"trailing nul byte", body + "\x00"},
		{"trailing newline", body + "\r\n"},
		{"leading bom", "\xef\xbb\xbf" + body},
		{"trailing bom", body + "\xef\xbb\xbf"},
		{"bom between tokens", `{"input":` + "\xef\xbb\xbf" + `"x"}`},
		{"bom in string", bothBody("\"model\":\"\xef\xbb\xbf\"")},
		{"leading whitespace", " \t\r\n" + body},
		{"whitespace everywhere", "{ \"messages\" :\n[ {\t\"role\"\r\n: \"user\" , " +
			"\"content\" : \"x\" } ] ,\n\"input\" : \"x\" }\n"},
		{"no whitespace", `{"messages":[{"role":"user","content":"x"}],"input":"x"}`},
		{"whitespace around values", bothBody("\"tools\" :\n [ {\"type\":\"function\" , "+
			"\"name\":\"f\",\"function\": {\"name\":\"f\"} } ] \t",
			"\"tool_choice\":\r\n\"auto\" ", "\"stop\" : [ \"a\" , \"b\" ] ",
			"\"metadata\": { \"k\" : \"v\" } ", "\"text\":\t{ \"verbosity\" : \"low\" }\n")},
		{"vertical tab", "{\v\"input\":\"x\"}"},
		{"form feed", "{\f\"input\":\"x\"}"},
		{"no-break space", "{\xc2\xa0\"input\":\"x\"}"},
		{"leading vertical tab", "\v" + body},
		{"trailing form feed", body + "\f"},
		{"missing comma", `{"input":"x" "model":"m"}`},
		{"missing colon", `{"input" "x"}`},
		{"trailing comma in object", `{"input":"x",}`},
		{"trailing comma in array", `{"messages":[{"role":"user","content":"x"},],"input":"x"}`},
		{"unterminated string", `{"input":"x`},
		{"unterminated object", `{"input":"x"`},
		{"single quotes", `{'input':'x'}`},
		{"array body", `[` + body + `]`},
		{"string body", `"x"`},
		{"number body", `1`},
	}
}

func depthCases() []stdJSONCase {
	deepObject := strings.Repeat(`{"a":`, maxDepth) + `1` + strings.Repeat(`}`, maxDepth)
	return []stdJSONCase{
		{"unknown key at max depth", bothBody(`"x":` + nested(maxDepth-1, `1`))},
		{"unknown key past max depth", bothBody(`"x":` + nested(maxDepth, `1`))},
		{"unknown key far past max depth", bothBody(`"x":` + nested(5*maxDepth, `1`))},
		{"unknown objects past max depth", bothBody(`"x":` + deepObject)},
		{"metadata past max depth", bothBody(`"metadata":{"a":` + nested(maxDepth, ``) + `}`)},
		{"tool parameters past max depth", bothBody(`"tools":[{"type":"function","name":"f",` +
			`"parameters":{"a":` + nested(maxDepth, ``) + `}}]`)},
		{"array body at max depth", nested(maxDepth, ``)},
		{"array body past max depth", nested(maxDepth+1, ``)},
		{"array body far past max depth", nested(5*maxDepth, ``)},
		{"unbalanced past max depth", bothBody(`"x":` + strings.Repeat("[", maxDepth+1))},
		{"unbalanced array body", strings.Repeat("[", maxDepth+1)},
		{"brackets in string", bothBody(`"x":"` + strings.Repeat("[", 2*maxDepth) + `"`)},
		{"escaped quote then brackets", bothBody(`"x":"\"` + strings.Repeat("{", 2*maxDepth) +
			`"`)},
	}
}

func sizeCases() []stdJSONCase {
	text := strings.Repeat("a", MaxMessageText)
	escaped := strings.Repeat(`\n`, MaxMessageText)
	return []stdJSONCase{
		{"text at limit", `{"messages":[{"role":"user","content":"` + text + `"}],` +
			`"input":"` + text + `"}`},
		{"text past limit", `{"messages":[{"role":"user","content":"` + text + `b"}],` +
			`"input":"` + text + `b"}`},
		{"escaped text at limit", `{"messages":[{"role":"user","content":"` + escaped +
			`"}],"input":"` + escaped + `"}`},
		{"escaped text past limit", `{"messages":[{"role":"user","content":"` + escaped +
			`\n"}],"input":"` + escaped + `\n"}`},
		{"huge unknown string", bothBody(`"x":"` + text + text + `"`)},
		{"huge key", bothBody(`"` + text + `":1`)},
		{"huge model", bothBody(`"model":"` + strings.Repeat("é", MaxMessageText) + `"`)},
		{"parts past limit", `{"messages":[{"role":"user","content":[{"type":"text","text":"` +
			text + `"},{"type":"text","text":"b"}]}],"input":[{"role":"user","content":[` +
			`{"type":"input_text","text":"` + text + `"},{"type":"input_text","text":"b"}]}]}`},
	}
}

func TestDecodersMatchEncodingJSON(t *testing.T) {
	for _, tc := range stdJSONCases() {
		t.Run(tc.name, func(t *testing.T) {
			compareWithEncodingJSON(t, []byte(tc.body))
		})
	}
}

func TestDecodersMatchEncodingJSONSeeds(t *testing.T) {
	for _, body := range corpusSeeds(t) {
		compareWithEncodingJSON(t, body)
	}
}

// TestEncodingJSONSwap checks that withEncodingJSON reaches the decoders
// and restores the functions they use, so that the comparison above is
// not between two runs of the same library.
func TestEncodingJSONSwap(t *testing.T) {
	var e *Error
	calls := withEncodingJSON(t, func() {
		_, e = DecodeChatRequest(typicalChatBody)
	})
	if e != nil {
		t.Fatalf("typical body rejected with encoding/json: %v", e)
	}
	if calls == 0 {
		t.Error("the decoders made no call to encoding/json")
	}
	if reflect.ValueOf(unmarshalJSON).Pointer() != reflect.ValueOf(segjson.Unmarshal).Pointer() {
		t.Error("unmarshalJSON is not segmentio's Unmarshal after the swap")
	}
	if reflect.ValueOf(validJSON).Pointer() != reflect.ValueOf(segjson.Valid).Pointer() {
		t.Error("validJSON is not segmentio's Valid after the swap")
	}
}

// rawTypes are the structs the decoders unmarshal request objects into.
var rawTypes = []any{
	rawStreamOptions{},
	rawChatMessage{},
	rawChatPart{},
	rawImageURL{},
	rawToolCall{},
	rawFunctionCall{},
	rawChatTool{},
	rawFunction{},
	rawToolChoice{},
	rawTextConfig{},
	rawTextFormat{},
	rawReasoning{},
	rawInputItem{},
	rawInputPart{},
}

// TestFieldKeysFoldLikeEncodingJSON checks the keys that encoding/json
// matches to a field case-insensitively, including through the two
// non-ASCII letters that fold to ASCII: ſ (U+017F) to s and K (U+212A) to k.
func TestFieldKeysFoldLikeEncodingJSON(t *testing.T) {
	for _, v := range rawTypes {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			for _, key := range foldedKeys(tag) {
				compareFieldDecode(t, typ, key)
			}
		}
	}
}

// foldedKeys returns the spellings of key that fold to it: upper case,
// each s or k alone as its non-ASCII fold, and all of them at once.
func foldedKeys(key string) []string {
	keys := []string{key, strings.ToUpper(key)}
	folds := strings.NewReplacer("s", "ſ", "k", "\u212a")
	for i, c := range key {
		if c == 's' || c == 'k' {
			keys = append(keys, key[:i]+folds.Replace(string(c))+key[i+1:])
		}
	}
	return append(keys, folds.Replace(key))
}

func compareFieldDecode(t *testing.T, typ reflect.Type, key string) {
	t.Helper()
	body := []byte(`{"` + key + `":"x"}`)
	got, want := reflect.New(typ), reflect.New(typ)
	gotErr := segjson.Unmarshal(body, got.Interface())
	wantErr := stdjson.Unmarshal(body, want.Interface())
	if (gotErr == nil) != (wantErr == nil) {
		t.Errorf("%s %s: error %v, with encoding/json %v", typ.Name(), body, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		t.Errorf("%s %s: decoded %+v, with encoding/json %+v", typ.Name(), body,
			got.Elem(), want.Elem())
	}
}

// corpusSeeds returns the bodies of the other decoder fuzz targets' seed
// corpora and of the golden files, which are JSON objects of the response
// shapes.
func corpusSeeds(t testing.TB) [][]byte {
	t.Helper()
	var seeds [][]byte
	for _, target := range []string{"FuzzDecodeChatRequest", "FuzzDecodeResponsesRequest"} {
		paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no seed corpus for %s (err %v)", target, err)
		}
		for _, path := range paths {
			seeds = append(seeds, readCorpusFile(t, path))
		}
	}
	golden, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("no golden files (err %v)", err)
	}
	for _, path := range golden {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("reading golden file: %v", err)
		}
		seeds = append(seeds, data)
	}
	return append(seeds, typicalChatBody)
}

// readCorpusFile reads a one-value []byte corpus file in the
// "go test fuzz v1" format.
func readCorpusFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading corpus file: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: want a go test fuzz v1 file with one value", path)
	}
	literal, ok := strings.CutPrefix(lines[1], "[]byte(")
	if ok {
		literal, ok = strings.CutSuffix(literal, ")")
	}
	body, err := strconv.Unquote(literal)
	if !ok || err != nil {
		t.Fatalf("%s: want a []byte(\"...\") value, got %q", path, lines[1])
	}
	return []byte(body)
}

// maxFuzzSeed is the size of the largest case added as a fuzz seed. The
// megabyte cases run in TestDecodersMatchEncodingJSON only. One comparison
// of such a body took about 0.1 s on a shared 2-core machine, some hundred
// times a small body, and each mutation of it would cost as much.
const maxFuzzSeed = 32 << 10

func FuzzDecodersMatchEncodingJSON(f *testing.F) {
	for _, tc := range stdJSONCases() {
		if len(tc.body) <= maxFuzzSeed {
			f.Add([]byte(tc.body))
		}
	}
	for _, body := range corpusSeeds(f) {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareWithEncodingJSON(t, body)
	})
}
