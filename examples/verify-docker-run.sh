#!/bin/bash
# verify-docker-run.sh brings the sample stack up with plain `docker run` on a
# user-defined network (service names resolve through the engine's DNS),
# checks it end to end, and removes every container, network and volume it
# created, leaving the images. Build the images first: go run ./examples/build
#
# Host ports are PORT_BASE+0..3 on 127.0.0.1 (default 28080: web, boss,
# passport, works), away from the 8080/8081 that the root envs.yaml publishes.
set -u
B=${PORT_BASE:-28080}
P=exverify
NET=$P-net VOL=$P-store-data
HC=(--health-interval 1s --health-timeout 2s --health-retries 30)  # test CMD /app health comes from the image
cleanup() {
  for s in web boss message works passport migrate store; do docker rm -f $P-$s >/dev/null 2>&1; done
  docker network rm $NET >/dev/null 2>&1; docker volume rm $VOL >/dev/null 2>&1
}
trap cleanup EXIT
wait_healthy() {
  for i in $(seq 1 60); do
    st=$(docker inspect -f '{{.State.Health.Status}}' $P-$1 2>/dev/null)
    [ "$st" = healthy ] && { echo "$1 healthy after ${i}x0.5s"; return 0; }
    sleep 0.5
  done
  echo "$1 NOT healthy: $st"; docker logs $P-$1; docker inspect -f '{{json .State.Health}}' $P-$1; exit 1
}
run() { local name=$1; shift; docker run -d --name $P-$name --network $NET --network-alias $name "$@" >/dev/null || exit 1; }
docker network create $NET >/dev/null && docker volume create $VOL >/dev/null
run store -e STORE_DATA_DIR=/data -v $VOL:/data "${HC[@]}" devenv-example/store:dev
wait_healthy store
run migrate -e STORE_URL=http://store:8080 devenv-example/store:dev migrate
echo "migrate exit: $(docker wait $P-migrate)"; docker logs $P-migrate
run passport -e STORE_URL=http://store:8080 -p 127.0.0.1:$((B+2)):8080 "${HC[@]}" devenv-example/passport:dev
wait_healthy passport
run works -e STORE_URL=http://store:8080 -e PASSPORT_URL=http://passport:8080 -p 127.0.0.1:$((B+3)):8080 "${HC[@]}" devenv-example/works:dev
run message -e STORE_URL=http://store:8080 -e PASSPORT_URL=http://passport:8080 "${HC[@]}" devenv-example/message:dev
wait_healthy works; wait_healthy message
run boss -e WORKS_URL=http://works:8080 -e MESSAGE_URL=http://message:8080 -e PASSPORT_URL=http://passport:8080 -p 127.0.0.1:$((B+1)):8080 "${HC[@]}" devenv-example/boss:dev
run web -e WORKS_URL=http://works:8080 -e MESSAGE_URL=http://message:8080 -p 127.0.0.1:$B:8080 "${HC[@]}" devenv-example/web:dev
wait_healthy boss; wait_healthy web
expect() { # expect CODE curl-args...: runs curl, prints the body, fails on another status
  local want=$1; shift
  local out; out=$(curl -sS -w '\n%{http_code}' "$@"); local code=${out##*$'\n'}
  echo "${out%$'\n'*}"; echo "HTTP $code"
  [ "$code" = "$want" ] || { echo "FAIL: want HTTP $want"; exit 1; }
}
echo "--- GET web /"; expect 200 http://127.0.0.1:$B/
echo "--- login + dashboard"
TOKEN=$(curl -sS -X POST -d '{"name":"admin","password":"admin"}' http://127.0.0.1:$((B+2))/login | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
expect 200 -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$((B+1))/dashboard
expect 401 http://127.0.0.1:$((B+1))/dashboard
echo "--- create a work with the token"
expect 201 -X POST -H "Authorization: Bearer $TOKEN" -d '{"title":"Made by verify"}' http://127.0.0.1:$((B+3))/works
expect 401 -X POST -d '{"title":"anon"}' http://127.0.0.1:$((B+3))/works
echo "--- store restart keeps data (volume)"
docker restart $P-store >/dev/null; wait_healthy store
curl -sS http://127.0.0.1:$B/ | grep -E 'Made by verify|Welcome' || { echo "FAIL: data lost"; exit 1; }
echo "--- web health follows its dependencies"
docker stop $P-message >/dev/null
expect 503 http://127.0.0.1:$B/healthz
echo "--- SIGTERM"
for s in web boss message works passport store; do
  t0=$(date +%s.%N); docker stop -t 10 $P-$s >/dev/null; t1=$(date +%s.%N)
  echo "$s exit=$(docker inspect -f '{{.State.ExitCode}}' $P-$s) stop=$(echo "$t1 - $t0" | bc)s"
done
echo "--- sample logs (works)"; docker logs $P-works 2>&1 | head -5
echo PASS
