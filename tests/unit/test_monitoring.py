"""Prometheus configuration and alert rules, checked offline by the real ``promtool``."""

from __future__ import annotations

import yaml

from wine_serving.deploy import image, manifests
from wine_serving.servers import prometheus as monitoring


def test_the_alert_rules_pass_promtool(tmp_path):
    rules = monitoring.write_yaml(monitoring.alert_rules(), tmp_path / "rules.yml")
    checked = monitoring.promtool("check", "rules", str(rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 2 rules found" in checked.stdout + checked.stderr


def test_a_broken_rule_is_refused_by_promtool(tmp_path):
    broken = monitoring.alert_rules()
    broken["groups"][0]["rules"][0]["expr"] = "sum(rate(rest_server_requests_total[15s]) >"
    checked = monitoring.promtool("check", "rules", str(monitoring.write_yaml(broken, tmp_path / "bad.yml")))
    assert checked.returncode != 0 and "parse error" in checked.stdout + checked.stderr


def test_the_deploy_lesson_ships_the_same_rules_and_annotated_pods(tmp_path):
    paths = manifests.write_monitoring(tmp_path)
    assert yaml.safe_load(paths["prometheus-rules"].read_text()) == monitoring.alert_rules()
    checked = monitoring.promtool("check", "rules", str(paths["prometheus-rules"]))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    pod = manifests.deployment()["spec"]["template"]["metadata"]["annotations"]
    assert pod["prometheus.io/scrape"] == "true"
    assert pod["prometheus.io/port"] == str(image.container_settings()["metrics_port"])
