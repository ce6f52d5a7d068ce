# An IAM role one Kubernetes service account assumes through the cluster's OIDC provider, as
# modules/irsa-role/module.yaml builds it, in HCL (same addresses as strata's graph).

variable "name" {
  type = string
}

variable "oidc_provider_arn" {
  type = string
}

# With or without https://.
variable "oidc_issuer" {
  type = string
}

variable "namespace" {
  type = string
}

variable "service_account" {
  type = string
}

# A policy document (an object, encoded here) to create and attach; null for none.
variable "policy" {
  type    = any
  default = null
}

variable "managed_policy_arns" {
  type    = list(string)
  default = []
}

locals {
  # IAM condition keys name the issuer without its scheme.
  issuer = replace(var.oidc_issuer, "https://", "")
}

resource "aws_iam_role" "role" {
  name        = var.name
  description = format("IRSA role of %s/%s", var.namespace, var.service_account)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = var.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.issuer}:sub" = format("system:serviceaccount:%s:%s", var.namespace, var.service_account)
          "${local.issuer}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  })
}

resource "aws_iam_policy" "policy" {
  count       = var.policy == null ? 0 : 1
  name        = var.name
  description = format("Permissions of %s/%s", var.namespace, var.service_account)
  policy      = jsonencode(var.policy)
}

resource "aws_iam_role_policy_attachment" "policy_attachment" {
  count      = var.policy == null ? 0 : 1
  role       = aws_iam_role.role.name
  policy_arn = aws_iam_policy.policy[0].arn
}

resource "aws_iam_role_policy_attachment" "managed_policies" {
  count      = length(var.managed_policy_arns)
  role       = aws_iam_role.role.name
  policy_arn = var.managed_policy_arns[count.index]
}

output "role_arn" {
  value = aws_iam_role.role.arn
}

output "role_name" {
  value = aws_iam_role.role.name
}
