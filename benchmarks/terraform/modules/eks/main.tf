# The EKS cluster of modules/eks/module.yaml in HCL: the same resources, keys, attributes and
# values, so every address matches strata's graph. Where HCL differs it says so.

variable "name" {
  type = string
}

# strata's input is `version`; Terraform reserves that name in a module block.
variable "kubernetes_version" {
  type    = string
  default = "1.31"
}

variable "vpc_id" {
  type = string
}

variable "subnets" {
  type = list(string)
}

variable "control_plane_subnets" {
  type    = list(string)
  default = []
}

variable "public_endpoint" {
  type    = bool
  default = true
}

variable "public_access_cidrs" {
  type    = list(string)
  default = ["0.0.0.0/0"]
}

variable "log_types" {
  type    = list(string)
  default = ["api", "audit", "authenticator"]
}

variable "log_retention_days" {
  type    = number
  default = 90
}

variable "admin_principal_arn" {
  type    = string
  default = ""
}

variable "addons" {
  type    = map(string)
  default = { vpc-cni = "", kube-proxy = "", coredns = "", eks-pod-identity-agent = "" }
}

variable "ebs_csi_driver" {
  type    = bool
  default = false
}

# { instance_types, min, max, desired?, capacity_type?, disk_size?, version?, taints? } by name.
# `any`, not map(any): pools with and without taints have different object types.
variable "node_pools" {
  type    = any
  default = {}
}

variable "upgrade" {
  type    = map(string)
  default = { strategy = "blue-green", drain_timeout = "15m" }
}

# --- Control plane identity ---------------------------------------------------------------
resource "aws_iam_role" "cluster_role" {
  name        = format("%s-cluster", var.name)
  description = format("EKS control plane of %s", var.name)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "cluster_policies" {
  for_each = {
    cluster                 = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    vpc-resource-controller = "arn:aws:iam::aws:policy/AmazonEKSVPCResourceController"
  }
  role       = aws_iam_role.cluster_role.name
  policy_arn = each.value
}

resource "aws_iam_role_policy" "cluster_encryption" {
  name = "encrypt-secrets"
  role = aws_iam_role.cluster_role.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
      Resource = aws_kms_key.secrets_key.arn
    }]
  })
}

# --- Secrets encryption and logs ----------------------------------------------------------
resource "aws_kms_key" "secrets_key" {
  description         = format("Envelope encryption of %s's Kubernetes secrets", var.name)
  enable_key_rotation = true
}

resource "aws_kms_alias" "secrets_key_alias" {
  name          = format("alias/eks/%s", var.name)
  target_key_id = aws_kms_key.secrets_key.key_id
}

resource "aws_cloudwatch_log_group" "control_plane_logs" {
  name              = format("/aws/eks/%s/cluster", var.name)
  retention_in_days = var.log_retention_days
}

# --- Network ------------------------------------------------------------------------------
resource "aws_security_group" "cluster_sg" {
  name        = format("%s-cluster", var.name)
  description = "EKS control plane (additional group)"
  vpc_id      = var.vpc_id
  tags = {
    Name = format("%s-cluster", var.name)
  }
}

resource "aws_security_group" "node_sg" {
  name        = format("%s-node", var.name)
  description = "EKS nodes"
  vpc_id      = var.vpc_id
  tags = {
    Name                     = format("%s-node", var.name)
    "karpenter.sh/discovery" = var.name
  }
}

resource "aws_vpc_security_group_ingress_rule" "cluster_from_nodes" {
  security_group_id            = aws_security_group.cluster_sg.id
  referenced_security_group_id = aws_security_group.node_sg.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  description                  = "Nodes to the API server"
}

resource "aws_vpc_security_group_ingress_rule" "node_from_cluster" {
  for_each                     = { https = 443, metrics-server = 4443, karpenter-webhook = 8443, webhooks = 9443, kubelet = 10250 }
  security_group_id            = aws_security_group.node_sg.id
  referenced_security_group_id = aws_security_group.cluster_sg.id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
  description                  = format("Control plane to nodes: %s", each.key)
}

resource "aws_vpc_security_group_ingress_rule" "node_from_nodes" {
  for_each = {
    coredns-tcp = { protocol = "tcp", from = 53, to = 53 }
    coredns-udp = { protocol = "udp", from = 53, to = 53 }
    ephemeral   = { protocol = "tcp", from = 1025, to = 65535 }
  }
  security_group_id            = aws_security_group.node_sg.id
  referenced_security_group_id = aws_security_group.node_sg.id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from
  to_port                      = each.value.to
  description                  = format("Node to node: %s", each.key)
}

resource "aws_vpc_security_group_egress_rule" "node_egress" {
  security_group_id = aws_security_group.node_sg.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "Nodes to anywhere (image pulls, AWS APIs)"
}

# --- The cluster --------------------------------------------------------------------------
resource "aws_eks_cluster" "cluster" {
  depends_on                = [aws_iam_role_policy_attachment.cluster_policies, aws_iam_role_policy.cluster_encryption, aws_cloudwatch_log_group.control_plane_logs]
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster_role.arn
  enabled_cluster_log_types = var.log_types

  vpc_config {
    subnet_ids              = length(var.control_plane_subnets) > 0 ? var.control_plane_subnets : var.subnets
    security_group_ids      = [aws_security_group.cluster_sg.id]
    endpoint_private_access = true
    endpoint_public_access  = var.public_endpoint
    public_access_cidrs     = var.public_access_cidrs
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.secrets_key.arn
    }
  }

  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = var.admin_principal_arn == ""
  }

  upgrade_policy {
    support_type = "STANDARD"
  }
}

resource "aws_iam_openid_connect_provider" "oidc" {
  url            = aws_eks_cluster.cluster.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
}

# --- Access -------------------------------------------------------------------------------
resource "aws_eks_access_entry" "admin" {
  count         = var.admin_principal_arn == "" ? 0 : 1
  cluster_name  = aws_eks_cluster.cluster.name
  principal_arn = var.admin_principal_arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "admin_policy" {
  count         = var.admin_principal_arn == "" ? 0 : 1
  cluster_name  = aws_eks_cluster.cluster.name
  principal_arn = aws_eks_access_entry.admin[0].principal_arn
  policy_arn    = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
  access_scope {
    type = "cluster"
  }
}

# --- Nodes --------------------------------------------------------------------------------
resource "aws_iam_role" "node_role" {
  name        = format("%s-node", var.name)
  description = format("Managed node groups of %s", var.name)
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

resource "aws_launch_template" "node_template" {
  for_each               = var.node_pools
  name                   = format("%s-%s", var.name, each.key)
  description            = format("Node pool %s of %s", each.key, var.name)
  update_default_version = true
  vpc_security_group_ids = [aws_security_group.node_sg.id]

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = lookup(each.value, "disk_size", 50)
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags = {
      Name = format("%s-%s", var.name, each.key)
    }
  }

  tag_specifications {
    resource_type = "volume"
    tags = {
      Name = format("%s-%s", var.name, each.key)
    }
  }
}

resource "aws_eks_node_group" "nodes" {
  for_each        = var.node_pools
  depends_on      = [aws_iam_role_policy_attachment.node_policies]
  cluster_name    = aws_eks_cluster.cluster.name
  node_group_name = each.key
  node_role_arn   = aws_iam_role.node_role.arn
  subnet_ids      = var.subnets
  version         = lookup(each.value, "version", var.kubernetes_version)
  instance_types  = each.value.instance_types
  capacity_type   = lookup(each.value, "capacity_type", "ON_DEMAND")

  scaling_config {
    min_size     = each.value.min
    max_size     = each.value.max
    desired_size = lookup(each.value, "desired", each.value.min)
  }

  launch_template {
    id      = aws_launch_template.node_template[each.key].id
    version = aws_launch_template.node_template[each.key].latest_version
  }

  update_config {
    max_unavailable_percentage = 33
  }

  labels = {
    "strata.dev/node-pool" = each.key
  }

  dynamic "taint" {
    for_each = lookup(each.value, "taints", [])
    content {
      key    = taint.value.key
      value  = taint.value.value
      effect = taint.value.effect
    }
  }
}

resource "aws_eks_addon" "addons" {
  for_each                    = var.addons
  depends_on                  = [aws_eks_node_group.nodes]
  cluster_name                = aws_eks_cluster.cluster.name
  addon_name                  = each.key
  addon_version               = each.value == "" ? null : each.value
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
}

# --- EBS CSI driver -----------------------------------------------------------------------
resource "aws_iam_role" "ebs_csi_role" {
  count       = var.ebs_csi_driver ? 1 : 0
  name        = format("%s-ebs-csi", var.name)
  description = format("EBS CSI controller of %s", var.name)
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "pods.eks.amazonaws.com" }
      Action    = ["sts:AssumeRole", "sts:TagSession"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ebs_csi_policy" {
  count      = var.ebs_csi_driver ? 1 : 0
  role       = aws_iam_role.ebs_csi_role[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
}

resource "aws_eks_addon" "ebs_csi_addon" {
  count                       = var.ebs_csi_driver ? 1 : 0
  depends_on                  = [aws_eks_node_group.nodes, aws_eks_addon.addons, aws_iam_role_policy_attachment.ebs_csi_policy]
  cluster_name                = aws_eks_cluster.cluster.name
  addon_name                  = "aws-ebs-csi-driver"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  pod_identity_association {
    role_arn        = aws_iam_role.ebs_csi_role[0].arn
    service_account = "ebs-csi-controller-sa"
  }
}

output "cluster_name" {
  value = aws_eks_cluster.cluster.name
}

output "cluster_arn" {
  value = aws_eks_cluster.cluster.arn
}

output "cluster_version" {
  value = aws_eks_cluster.cluster.version
}

output "endpoint" {
  value = aws_eks_cluster.cluster.endpoint
}

output "certificate_authority" {
  value = aws_eks_cluster.cluster.certificate_authority[0].data
}

output "oidc_issuer" {
  value = aws_eks_cluster.cluster.identity[0].oidc[0].issuer
}

output "oidc_provider_arn" {
  value = aws_iam_openid_connect_provider.oidc.arn
}

output "cluster_security_group_id" {
  value = aws_eks_cluster.cluster.vpc_config[0].cluster_security_group_id
}

output "node_security_group_id" {
  value = aws_security_group.node_sg.id
}

output "node_role_arn" {
  value = aws_iam_role.node_role.arn
}

output "node_role_name" {
  value = aws_iam_role.node_role.name
}

output "upgrade" {
  value = var.upgrade
}
