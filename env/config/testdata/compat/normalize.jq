# Reduces `docker-compose config` output (as JSON) to the values TestCompat
# compares with devenv's resolution: per service its image, published ports,
# environment, dependencies, networks, mounts and secrets; the top-level
# networks, volumes and secrets. compat_norm_test.go builds the same shape from a config.Project.
# Arguments: $dir (the sample's absolute directory), $project (its project name).

def relpath: if . == $dir then "." elif startswith($dir + "/") then "./" + .[($dir | length) + 1:] else . end;

# A port as "hostip:published:target/protocol", from the long form or a
# short "[[ip:]published:]target[/protocol]" that docker-compose 1.29 keeps.
def port:
  if type == "string" then
    (split("/")) as $s | ($s[0] | split(":")) as $p
    | (if ($p | length) == 1 then ["", ""] elif ($p | length) == 2 then ["", $p[0]] else [$p[0], $p[1]] end) as $host
    | "\($host[0]):\($host[1]):\($p[-1])/\($s[1] // "tcp")"
  else
    "\(.host_ip // ""):\(.published // "" | tostring):\(.target | tostring)/\(.protocol // "tcp")"
  end;

def mount:
  if type == "string" then
    (split(":")) as $p
    | if ($p | length) == 1 then "volume::\($p[0]):rw"
      else ($p[0]) as $src
        | (if ($src | test("^[/.~]")) then "bind" else "volume" end) as $kind
        | (if (($p[2] // "") | split(",") | index("ro")) then "ro" else "rw" end) as $mode
        | "\($kind):\(if $kind == "bind" then ($src | relpath) else $src end):\($p[1]):\($mode)"
      end
  else
    "\(.type):\(if .type == "bind" then (.source | relpath) else (.source // "") end):\(.target):\(if .read_only then "ro" else "rw" end)"
  end;

def networks:
  if .network_mode then ["network_mode:" + .network_mode]
  elif .networks then (.networks | if type == "array" then . else keys end | sort)
  else ["default"] end;

def environment:
  (.environment // {})
  | if type == "array" then map(split("=") | {(.[0]): (.[1:] | join("="))}) | add // {} else . end
  | with_entries(select(.value != null) | .value |= tostring);

def depends_on:
  (.depends_on // {})
  | if type == "array" then map({(.): "service_started"}) | add // {} else map_values(.condition // "service_started") end;

(.services // {}) as $services
| {
    services: ($services | to_entries | map({
      key: .key,
      value: (.key as $name | .value | {
        image: (.image // "\($project)-\($name)"),
        ports: ((.ports // []) | map(port) | sort),
        environment: environment,
        depends_on: depends_on,
        networks: networks,
        volumes: ((.volumes // []) | map(mount) | sort),
        secrets: ((.secrets // []) | map(if type == "string" then . else .source end) | sort)
      })
    }) | from_entries),
    networks: (((.networks // {}) | keys) + (if [$services[] | networks[]] | index("default") then ["default"] else [] end) | unique),
    volumes: ((.volumes // {}) | keys | sort),
    secrets: ((.secrets // {}) | keys | sort)
  }
