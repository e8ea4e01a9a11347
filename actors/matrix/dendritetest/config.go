package dendritetest

import (
	"path/filepath"
	"strings"
)

// configTemplate is a dendrite.yaml (config version 2, Dendrite v0.13)
// for one local test server. Every address it names is on this machine:
// federation is off, and the lists that would make Dendrite contact other
// servers (key perspectives, identity servers) are empty.
const configTemplate = `version: 2
global:
  server_name: localhost
  private_key: {{key}}
  key_validity_period: 168h0m0s
  cache:
    max_size_estimated: 64mb
    max_age: 1h
  trusted_third_party_id_servers: []
  disable_federation: true
  presence:
    enable_inbound: false
    enable_outbound: false
  report_stats:
    enabled: false
  server_notices:
    enabled: false
  jetstream:
    addresses: []
    storage_path: {{dir}}/jetstream
    topic_prefix: Dendrite
  metrics:
    enabled: false
  sentry:
    enabled: false
  dns_cache:
    enabled: false
app_service_api:
  config_files: []
client_api:
  registration_disabled: true
  guests_disabled: true
  registration_shared_secret: "{{secret}}"
  enable_registration_captcha: false
  rate_limiting:
    enabled: false
federation_api:
  database:
    connection_string: file:{{dir}}/federationapi.db
  key_perspectives: []
key_server:
  database:
    connection_string: file:{{dir}}/keyserver.db
media_api:
  database:
    connection_string: file:{{dir}}/mediaapi.db
  base_path: {{dir}}/media_store
  max_file_size_bytes: 1048576
  dynamic_thumbnails: false
  max_thumbnail_generators: 1
mscs:
  mscs: []
  database:
    connection_string: file:{{dir}}/mscs.db
relay_api:
  database:
    connection_string: file:{{dir}}/relayapi.db
room_server:
  database:
    connection_string: file:{{dir}}/roomserver.db
sync_api:
  database:
    connection_string: file:{{dir}}/syncapi.db
  search:
    enabled: false
user_api:
  bcrypt_cost: 4
  account_database:
    connection_string: file:{{dir}}/userapi_accounts.db
  auto_join_rooms: []
tracing:
  enabled: false
logging:
  - type: std
    level: warn
`

// renderConfig returns the configuration of a server whose files live in
// dir, signing with the key at key, registering with secret.
func renderConfig(dir, key, secret string) string {
	return strings.NewReplacer(
		"{{dir}}", filepath.ToSlash(dir),
		"{{key}}", filepath.ToSlash(key),
		"{{secret}}", secret,
	).Replace(configTemplate)
}
