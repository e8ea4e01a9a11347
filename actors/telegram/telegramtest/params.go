package telegramtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBody bounds a request body, as a guard in tests.
const maxBody = 10 << 20

// params holds the parameters of one Bot API call, from whichever of the
// four encodings the Bot API accepts: the query string,
// application/x-www-form-urlencoded, application/json or
// multipart/form-data. In the form encodings a nested object, such as
// reply_parameters, is JSON text; in a JSON body it is an object.
type params map[string]json.RawMessage

// readParams merges the query string and the body's parameters; the body
// wins.
func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, vs := range r.URL.Query() {
		p.setText(k, vs[len(vs)-1])
	}
	if r.Body == nil {
		return p, nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return p, nil
	}
	mediaType, mediaParams, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("invalid Content-Type %q", ct)
	}
	switch mediaType {
	case "application/json":
		return p, p.readJSON(r.Body)
	case "application/x-www-form-urlencoded":
		return p, p.readForm(r)
	case "multipart/form-data":
		return p, p.readMultipart(r, mediaParams["boundary"])
	}
	return nil, fmt.Errorf("unsupported Content-Type %q", mediaType)
}

func (p params) readJSON(body io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(body, maxBody))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return errors.New("can't parse JSON object")
	}
	for k, v := range fields {
		p[k] = v
	}
	return nil
}

func (p params) readForm(r *http.Request) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	values, err := url.ParseQuery(string(data))
	if err != nil {
		return errors.New("can't parse form body")
	}
	for k, vs := range values {
		p.setText(k, vs[len(vs)-1])
	}
	return nil
}

// readMultipart reads a multipart/form-data body. An empty body is no
// parameters: go-telegram/bot sends one for methods without parameters,
// such as getMe, and the Bot API accepts it.
func (p params) readMultipart(r *http.Request, boundary string) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	form, err := multipart.NewReader(bytes.NewReader(data), boundary).ReadForm(maxBody)
	if err != nil {
		return errors.New("can't parse multipart body")
	}
	defer func() { _ = form.RemoveAll() }()
	for k, vs := range form.Value {
		p.setText(k, vs[len(vs)-1])
	}
	return nil
}

// setText stores a form value as a JSON string; int and object parse it
// when they are asked for a number or an object.
func (p params) setText(k, v string) {
	b, _ := json.Marshal(v)
	p[k] = b
}

// str returns a parameter as text: a JSON string unquoted, anything else
// as its JSON text.
func (p params) str(k string) string {
	raw, ok := p[k]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// int returns a parameter as a whole number, from a number or a string of
// digits. ok is false when the parameter is missing or not a number.
func (p params) int(k string) (n int64, ok bool) {
	s := p.str(k)
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// object decodes a parameter that is a JSON object, in a JSON body or as
// JSON text in a form.
func (p params) object(k string, v any) error {
	raw, ok := p[k]
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}
