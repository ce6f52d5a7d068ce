# What Karpenter needs from AWS, as modules/karpenter/module.yaml builds it, in HCL: the same
# resources, keys, attributes and values, so every address matches strata's graph.
#
# Left out: the default EC2NodeClass and NodePool (strata's two `kubernetes_manifest`
# resources). In Terraform they belong to the kubernetes provider, which is not installed
# offline here and would need a reachable API server at plan time; the AWS-side comparison
# covers the other 95 resources.

variable "cluster_name" {
  type = string
}

variable "namespace" {
  type    = string
  default = "kube-system"
}

variable "service_account" {
  type    = string
  default = "karpenter"
}

variable "create_instance_profile" {
  type    = bool
  default = false
}

# Used only by the NodePool manifest (left out above); kept so the module's inputs match.
variable "instance_categories" {
  type    = list(string)
  default = ["c", "m", "r"]
}

variable "capacity_types" {
  type    = list(string)
  default = ["spot", "on-demand"]
}

variable "cpu_limit" {
  type    = number
  default = 1000
}

variable "interruption_events" {
  type = map(map(string))
  default = {
    spot-interruption     = { source = "aws.ec2", detail_type = "EC2 Spot Instance Interruption Warning" }
    rebalance             = { source = "aws.ec2", detail_type = "EC2 Instance Rebalance Recommendation" }
    instance-state-change = { source = "aws.ec2", detail_type = "EC2 Instance State-change Notification" }
    scheduled-change      = { source = "aws.health", detail_type = "AWS Health Event" }
  }
}

# strata's `stack.region`.
data "aws_region" "current" {}

# --- Nodes --------------------------------------------------------------------------------
resource "aws_iam_role" "node_role" {
  name        = format("%s-karpenter-node", var.cluster_name)
  description = format("Nodes Karpenter launches for %s", var.cluster_name)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "node_policies" {
  for_each = {
    worker = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    cni    = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"
    ecr    = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    ssm    = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
  }
  role       = aws_iam_role.node_role.name
  policy_arn = each.value
}

resource "aws_iam_instance_profile" "node_instance_profile" {
  count = var.create_instance_profile ? 1 : 0
  name  = format("%s-karpenter-node", var.cluster_name)
  role  = aws_iam_role.node_role.name
}

resource "aws_eks_access_entry" "node_access" {
  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.node_role.arn
  type          = "EC2_LINUX"
}

# --- Controller ---------------------------------------------------------------------------
resource "aws_iam_role" "controller_role" {
  name        = format("%s-karpenter", var.cluster_name)
  description = format("The Karpenter controller of %s", var.cluster_name)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_policy" "controller_policy" {
  name        = format("%s-karpenter-controller", var.cluster_name)
  description = "Launch, tag and terminate nodes; read pricing, AMIs and the interruption queue"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "Read"
        Effect = "Allow"
        Action = [
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
          "pricing:GetProducts",
        ]
        Resource = "*"
      },
      {
        Sid      = "Launch"
        Effect   = "Allow"
        Action   = ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:CreateTags"]
        Resource = "*"
        Condition = {
          StringEquals = { "aws:RequestTag/eks:eks-cluster-name" = var.cluster_name }
        }
      },
      {
        Sid      = "TagOwnNodes"
        Effect   = "Allow"
        Action   = "ec2:CreateTags"
        Resource = "arn:aws:ec2:*:*:instance/*"
        Condition = {
          StringEquals                = { "aws:ResourceTag/eks:eks-cluster-name" = var.cluster_name }
          "ForAllValues:StringEquals" = { "aws:TagKeys" = ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] }
        }
      },
      {
        Sid    = "LaunchFrom"
        Effect = "Allow"
        Action = ["ec2:RunInstances", "ec2:CreateFleet"]
        Resource = [
          "arn:aws:ec2:*::image/*",
          "arn:aws:ec2:*::snapshot/*",
          "arn:aws:ec2:*:*:security-group/*",
          "arn:aws:ec2:*:*:subnet/*",
          "arn:aws:ec2:*:*:launch-template/*",
        ]
      },
      {
        Sid      = "Terminate"
        Effect   = "Allow"
        Action   = ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"]
        Resource = "*"
        Condition = {
          StringEquals = { "aws:ResourceTag/eks:eks-cluster-name" = var.cluster_name }
        }
      },
      {
        Sid      = "PassNodeRole"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = aws_iam_role.node_role.arn
        Condition = {
          StringEquals = { "iam:PassedToService" = "ec2.amazonaws.com" }
        }
      },
      {
        Sid    = "InstanceProfiles"
        Effect = "Allow"
        Action = [
          "iam:CreateInstanceProfile",
          "iam:TagInstanceProfile",
          "iam:AddRoleToInstanceProfile",
          "iam:RemoveRoleFromInstanceProfile",
          "iam:DeleteInstanceProfile",
          "iam:GetInstanceProfile",
          "iam:ListInstanceProfiles",
        ]
        Resource = "*"
      },
      {
        Sid      = "AMIParameters"
        Effect   = "Allow"
        Action   = "ssm:GetParameter"
        Resource = "arn:aws:ssm:*::parameter/aws/service/*"
      },
      {
        Sid      = "Cluster"
        Effect   = "Allow"
        Action   = "eks:DescribeCluster"
        Resource = format("arn:aws:eks:%s:*:cluster/%s", data.aws_region.current.name, var.cluster_name)
      },
      {
        Sid      = "Interruptions"
        Effect   = "Allow"
        Action   = ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
        Resource = aws_sqs_queue.interruptions.arn
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "controller_policy_attachment" {
  role       = aws_iam_role.controller_role.name
  policy_arn = aws_iam_policy.controller_policy.arn
}

resource "aws_eks_pod_identity_association" "controller_identity" {
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.controller_role.arn
}

# --- Interruption handling ----------------------------------------------------------------
resource "aws_sqs_queue" "interruptions" {
  name                      = format("%s-karpenter", var.cluster_name)
  message_retention_seconds = 300
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "interruptions_policy" {
  queue_url = aws_sqs_queue.interruptions.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EventBridge"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "sqs.amazonaws.com"] }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.interruptions.arn
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sqs:*"
        Resource  = aws_sqs_queue.interruptions.arn
        Condition = {
          Bool = { "aws:SecureTransport" = "false" }
        }
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "interruption_events" {
  for_each    = var.interruption_events
  name        = format("%s-karpenter-%s", var.cluster_name, each.key)
  description = format("Karpenter interruption handling of %s, %s", var.cluster_name, each.key)
  event_pattern = jsonencode({
    source        = [each.value.source]
    "detail-type" = [each.value.detail_type]
  })
}

resource "aws_cloudwatch_event_target" "interruption_targets" {
  for_each  = var.interruption_events
  rule      = aws_cloudwatch_event_rule.interruption_events[each.key].name
  target_id = "KarpenterInterruptionQueue"
  arn       = aws_sqs_queue.interruptions.arn
}

output "node_role_name" {
  value = aws_iam_role.node_role.name
}

output "node_role_arn" {
  value = aws_iam_role.node_role.arn
}

output "controller_role_arn" {
  value = aws_iam_role.controller_role.arn
}

output "queue_name" {
  value = aws_sqs_queue.interruptions.name
}

output "queue_url" {
  value = aws_sqs_queue.interruptions.url
}
