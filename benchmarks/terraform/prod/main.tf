# stacks/prod written as a Terraform configuration, for the benchmarks that compare strata with
# Terraform on the same sandbox (benchmarks/plan.sh, benchmarks/apply.sh). The modules under
# ../modules mirror modules/*/module.yaml resource for resource, so every address here equals
# the one in `strata graph stacks/prod` (e.g. module.network.aws_subnet.private[0]), except the
# Karpenter EC2NodeClass and NodePool: strata's two `kubernetes_manifest` resources need the
# kubernetes provider, which cannot be installed offline (see ../modules/karpenter/main.tf).
#
# The provider is pointed at an AWS-compatible endpoint by variables (the sandbox by default
# values given on the command line: -var endpoint=http://127.0.0.1:PORT).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "endpoint" {
  type        = string
  description = "The AWS-compatible endpoint every service is sent to (the sandbox's URL)."
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "access_key" {
  type    = string
  default = "test"
}

variable "secret_key" {
  type      = string
  default   = "test"
  sensitive = true
}

provider "aws" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key

  # The sandbox has no instance metadata service; the keys are given above.
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_region_validation      = true

  # Every service the configuration uses, and STS for the caller's account.
  endpoints {
    ec2    = var.endpoint
    eks    = var.endpoint
    events = var.endpoint
    iam    = var.endpoint
    kms    = var.endpoint
    logs   = var.endpoint
    sqs    = var.endpoint
    sts    = var.endpoint
  }

  # strata's stack tags; strata adds its ownership tags (strata:stack, strata:address) on top,
  # which are its state and have no Terraform counterpart (Terraform keeps a state file).
  default_tags {
    tags = {
      team = "platform"
      env  = "prod"
    }
  }
}

module "network" {
  source        = "../modules/vpc"
  stack_name    = "prod"
  cidr          = "10.40.0.0/16"
  zones         = 3
  nat           = "per-zone"
  intra_subnets = true
  cluster_name  = "prod"
}

module "cluster" {
  source                = "../modules/eks"
  name                  = "prod"
  kubernetes_version    = "1.31"
  vpc_id                = module.network.vpc_id
  subnets               = module.network.private_subnet_ids
  control_plane_subnets = module.network.intra_subnet_ids
  public_access_cidrs   = ["203.0.113.0/24"]
  log_retention_days    = 365
  admin_principal_arn   = "arn:aws:iam::111122223333:role/platform-admin"
  ebs_csi_driver        = true
  node_pools = {
    system = {
      instance_types = ["m6i.large"]
      min            = 2
      max            = 4
      taints = [
        { key = "CriticalAddonsOnly", value = "true", effect = "NO_SCHEDULE" },
      ]
    }
  }
  upgrade = { strategy = "blue-green", drain_timeout = "15m" }
}

module "karpenter" {
  source       = "../modules/karpenter"
  cluster_name = module.cluster.cluster_name
  cpu_limit    = 2000
}

module "external_dns" {
  source            = "../modules/irsa-role"
  name              = "prod-external-dns"
  oidc_provider_arn = module.cluster.oidc_provider_arn
  oidc_issuer       = module.cluster.oidc_issuer
  namespace         = "external-dns"
  service_account   = "external-dns"
  policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "route53:ChangeResourceRecordSets"
        Resource = "arn:aws:route53:::hostedzone/*"
      },
      {
        Effect   = "Allow"
        Action   = ["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
        Resource = "*"
      },
    ]
  }
}

output "cluster_name" {
  value = module.cluster.cluster_name
}

output "endpoint" {
  value = module.cluster.endpoint
}

output "oidc_provider_arn" {
  value = module.cluster.oidc_provider_arn
}

output "karpenter_queue" {
  value = module.karpenter.queue_name
}

output "external_dns_role_arn" {
  value = module.external_dns.role_arn
}
