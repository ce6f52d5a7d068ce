"""Corrections to moto's models where its answers differ from AWS in what a client reads back.

Found by applying the Terraform configuration equivalent to stacks/prod
(benchmarks/terraform/) against the sandbox: the AWS provider reads every resource back after
creating it and plans a change wherever the answer differs from what it sent.

* ``CreateLaunchTemplate``: the request's ``TagSpecifications`` tag the launch template itself.
  moto also copied them into the version's ``LaunchTemplateData.TagSpecifications`` (the tags
  for instances and volumes launched from it), so DescribeLaunchTemplateVersions reported a
  ``launch-template`` entry AWS never has there.
* ``DescribeSecurityGroupRules``: a rule that references another security group lost its
  ``Description`` (moto only looked for one on CIDR ranges).

Each patch is applied once per process (``install``), before the first request.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    _launch_template_tags_stay_on_the_template()
    _group_rule_descriptions()
    _INSTALLED = True


def _launch_template_tags_stay_on_the_template() -> None:
    from moto.core.responses import ActionResult
    from moto.ec2.responses.launch_templates import LaunchTemplates
    from moto.ec2.utils import parse_user_data

    def create_launch_template(self) -> ActionResult:
        name = self._get_param("LaunchTemplateName")
        version_description = self._get_param("VersionDescription")
        tag_spec = self._parse_tag_specification()
        data = self._get_param("LaunchTemplateData", {})
        data["UserData"] = parse_user_data(self._get_param("LaunchTemplateData.UserData"))
        self.error_on_dryrun()
        # tag_spec (resource type launch-template) goes to the template, not into its data.
        template = self.ec2_backend.create_launch_template(name, version_description, data, tag_spec)
        version = template.default_version()
        return ActionResult({
            "LaunchTemplate": {
                "CreateTime": version.create_time,
                "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                "DefaultVersionNumber": template.default_version_number,
                "LatestVersionNumber": version.number,
                "LaunchTemplateId": template.id,
                "LaunchTemplateName": template.name,
                "Tags": template.tags,
            },
        })

    LaunchTemplates.create_launch_template = create_launch_template  # type: ignore[method-assign]


def _group_rule_descriptions() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> Any:
        # A CIDR rule keeps its description in the range, a group reference in the group pair.
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment]
